//! The pages' words, in Indonesian (the default) and English. Every key exists in both: the
//! table is one `match` per key, so a missing translation does not compile.

use crate::account::registration::Problem;
use crate::personal::email::EmailProblem;
use crate::personal::nik::NikProblem;
use crate::personal::phone::PhoneProblem;

pub use crate::lang::Lang;

/// Declares every text of the pages once, Indonesian then English: the `Text` keys, the list
/// of them all, and the lookup.
macro_rules! texts {
    ($($key:ident => ($id:expr, $en:expr),)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $($key,)*
        }

        impl Text {
            /// Every key, for the test that checks both languages.
            #[cfg(test)]
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];
        }

        pub fn t(lang: Lang, text: Text) -> &'static str {
            match text {
                $(Text::$key => match lang {
                    Lang::Id => $id,
                    Lang::En => $en,
                },)*
            }
        }
    };
}

texts! {
    LoginTitle => ("Masuk", "Log in"),
    Username => ("Username atau e-mail", "User name or e-mail"),
    Password => ("Password", "Password"),
    Captcha => ("Captcha", "Captcha"),
    CaptchaHelp => ("Ketik tulisan pada gambar.", "Type the word in the picture."),
    CaptchaAudio => ("Dengarkan captcha", "Listen to the captcha"),
    CaptchaRefresh => ("Ganti gambar", "Another picture"),
    LoginButton => ("Masuk", "Log in"),
    Register => ("Daftar", "Register"),
    ForgotPassword => ("Lupa Password?", "Forgot password?"),
    WrongCredentials => ("Username atau password salah.", "The user name or password is wrong."),
    WrongCaptcha => ("Captcha salah atau kedaluwarsa. Silakan coba lagi.", "The captcha is wrong or expired. Please try again."),
    TooManyAttempts => ("Terlalu banyak percobaan. Silakan coba lagi beberapa saat lagi.", "Too many attempts. Please try again in a while."),
    LockedNewDevice => ("Terlalu banyak percobaan masuk yang gagal ke akun ini. Jika ini akun Anda, periksa e-mail Anda: kami mengirim tautan untuk membuka kunci di perangkat ini. Atau coba lagi nanti.", "Too many failed logins to this account. If it is yours, check your e-mail: we send a link that unlocks this device. Or try again later."),
    UnlockTitle => ("Buka kunci perangkat ini", "Unlock this device"),
    UnlockQuestion => ("Perangkat ini akan dapat masuk ke akun Anda dengan password Anda, walaupun login dari perangkat baru sedang dikunci.", "This device will be able to log in to your account with your password, while logins from new devices are locked."),
    UnlockButton => ("Buka kunci", "Unlock"),
    DeviceUnlocked => ("Perangkat ini sudah dapat masuk. Masuk dengan username dan password Anda.", "This device can log in now. Log in with your user name and password."),
    Busy => ("Layanan sedang sibuk. Silakan coba lagi sebentar lagi.", "The service is busy. Please try again in a moment."),
    Helpdesk => ("Butuh bantuan? Hubungi layanan bantuan:", "Need help? Contact the helpdesk:"),
    ErrorTitle => ("Terjadi kesalahan", "Something went wrong"),
    BadRequest => ("Permintaan masuk dari aplikasi ini tidak valid.", "The login request from this application is not valid."),
    LoggedInAs => ("Anda masuk sebagai", "You are logged in as"),
    ShowPassword => ("Tampilkan password", "Show password"),
    HidePassword => ("Sembunyikan password", "Hide password"),
    SwitchLanguage => ("English", "Bahasa Indonesia"),
    LogoutTitle => ("Keluar", "Log out"),
    LogoutQuestion => ("Keluar dari semua aplikasi?", "Log out of every application?"),
    LoggedOut => ("Anda sudah keluar.", "You are logged out."),
    ConsentTitle => ("Izin akses", "Allow access"),
    ConsentQuestion => ("meminta akses ke data Anda berikut:", "asks for access to this data of yours:"),
    Allow => ("Izinkan", "Allow"),
    Deny => ("Tolak", "Deny"),
    ConsentAs => ("Anda masuk sebagai", "You are logged in as"),
    ScopeOpenid => ("Tanda pengenal akun Anda (bukan password Anda)", "Your account's identifier (never your password)"),
    ScopeProfile => ("Nama lengkap, username, tanggal lahir, jenis kelamin dan bahasa", "Full name, user name, date of birth, gender and language"),
    ScopeEmail => ("Alamat e-mail", "E-mail address"),
    ScopePhone => ("Nomor telepon", "Phone number"),
    ScopeOfflineAccess => ("Akses saat Anda sedang tidak memakainya", "Access while you are not using it"),
    ScopeGroups => ("Hak akses Anda yang boleh diketahui aplikasi ini", "Your access rights this application may know of"),
    ScopeIdentityDocument => ("Nomor identitas (NIK atau paspor)", "Identity number (NIK or passport)"),
    RegisterTitle => ("Daftar", "Register"),
    IdentityType => ("Jenis Identitas", "Identity type"),
    Ktp => ("Kartu Tanda Penduduk (KTP)", "Indonesian identity card (KTP)"),
    Passport => ("Paspor", "Passport"),
    Nik => ("Nomor Induk Kependudukan (NIK)", "Identity number (NIK)"),
    CountryOfOrigin => ("Negara Asal", "Country"),
    BirthDate => ("Tanggal Lahir", "Date of birth"),
    DateHint => ("tanggal-bulan-tahun, mis. 17-08-1990", "day-month-year, e.g. 17-08-1990"),
    Phone => ("Nomor Telepon Selular", "Mobile phone number"),
    // The numbers' hyphens are U+2011 (non-breaking): an example never breaks across lines.
    PhoneHint => ("Nomor HP, mis. 0812‑3456‑789 atau 812‑3456‑789", "Mobile number, e.g. 0812‑3456‑789 or 812‑3456‑789"),
    Email => ("Alamat e-mail", "E-mail address"),
    PassportNumber => ("Nomor Paspor", "Passport number"),
    PassportCountry => ("Negara Penerbit Paspor", "Issuing country"),
    PassportIssued => ("Tanggal Pengeluaran", "Date of issue"),
    PassportExpires => ("Tanggal Expired Paspor", "Date of expiry"),
    PassportOffice => ("Kantor", "Issuing office"),
    Sex => ("Jenis Kelamin", "Sex"),
    Male => ("Laki-laki", "Male"),
    Female => ("Perempuan", "Female"),
    Nationality => ("Kewarganegaraan", "Nationality"),
    BirthPlace => ("Tempat Lahir", "Place of birth"),
    TermsAccept => ("Saya mengerti dan menerima", "I understand and accept the"),
    TermsName => ("Syarat dan Ketentuan", "Terms and Conditions"),
    TermsOfUse => ("penggunaan sistem", "for using"),
    Privacy => ("Kebijakan Privasi", "Privacy Policy"),
    OpensInNewTab => ("(terbuka di tab baru)", "(opens in a new tab)"),
    Submit => ("Kirim", "Submit"),
    CaptchaPlaceholder => ("MASUKKAN KODE CAPTCHA DI ATAS", "TYPE THE CAPTCHA CODE ABOVE"),
    FormHasErrors => ("Periksa isian yang ditandai di bawah ini.", "Please check the marked fields below."),
    SentTo => ("Alamat e-mail:", "E-mail address:"),
    CheckEmailTitle => ("Periksa e-mail Anda", "Check your e-mail"),
    CheckEmail => ("Kami telah mengirim e-mail ke alamat yang Anda isi. Ikuti petunjuknya untuk mengaktifkan akun. Periksa juga folder spam/junk.", "We have sent an e-mail to the address you gave. Follow it to activate your account. Please also look in the spam/junk folder."),
    ResendActivation => ("Kirim ulang e-mail aktivasi", "Send the activation e\u{2011}mail again"),
    ResendDone => ("Jika ada akun yang menunggu aktivasi dengan alamat ini, kami telah mengirim tautan baru; tautan sebelumnya tidak berlaku lagi.", "If an account with this address awaits activation, we have sent a new link; the earlier link no longer works."),
    ActivateTitle => ("Aktivasi akun", "Activate your account"),
    ActivateQuestion => ("Tekan tombol di bawah ini untuk mengaktifkan akun Anda.", "Press the button below to activate your account."),
    ActivateButton => ("Aktifkan akun", "Activate account"),
    Activated => ("Akun Anda sudah aktif. Kami mengirim username dan password ke e-mail Anda.", "Your account is active. We have sent your user name and password to your e-mail."),
    LinkInvalidTitle => ("Tautan tidak berlaku", "Link no longer valid"),
    LinkInvalid => ("Tautan ini sudah dipakai atau sudah kedaluwarsa. Minta tautan baru, atau masuk bila akun Anda sudah aktif.", "This link has been used or has expired. Ask for a new one, or log in if your account is already active."),
    NewPasswordTitle => ("Buat password baru", "Choose a new password"),
    NewPasswordHelp => ("Password sementara harus diganti. Gunakan minimal 8 karakter, sebaiknya 15 atau lebih; kalimat yang mudah Anda ingat lebih baik daripada kata yang rumit.", "Your temporary password must be replaced. Use at least 8 characters, better 15 or more; a sentence you can remember beats a complicated word."),
    NewPassword => ("Password baru", "New password"),
    ConfirmPassword => ("Ulangi password baru", "Repeat the new password"),
    SaveButton => ("Simpan", "Save"),
    PasswordsDiffer => ("Kedua password tidak sama.", "The two passwords differ."),
    PasswordTooShort => ("Password minimal 8 karakter.", "A password has at least 8 characters."),
    PasswordTooLong => ("Password maksimal 256 karakter.", "A password has at most 256 characters."),
    PasswordCommon => ("Password ini terlalu umum dan mudah ditebak. Pilih yang lain.", "This password is too common and easy to guess. Choose another."),
    PasswordSameAsTemporary => ("Password baru tidak boleh sama dengan password sementara.", "The new password must differ from the temporary one."),
    TemporaryExpired => ("Password sementara Anda sudah tidak berlaku. Gunakan \"Lupa Password?\" untuk mendapatkan yang baru.", "Your temporary password has expired. Use \"Forgot password?\" to get a new one."),
    SessionExpired => ("Waktu pengisian habis. Silakan masuk lagi.", "This form has expired. Please log in again."),
    BackToLogin => ("Kembali ke halaman Masuk", "Back to the login page"),
    ResendIntro => ("Isi alamat e-mail yang Anda daftarkan. Kami mengirim tautan aktivasi yang baru.", "Enter the e-mail address you registered with. We will send a new activation link."),
    ForgotTitle => ("Lupa Password", "Forgot password"),
    ForgotIntro => ("Isi alamat e-mail atau username Anda. Kami mengirim tautan untuk membuat password baru.", "Enter your e-mail address or user name. We will send a link to choose a new password."),
    EmailOrUsername => ("Alamat e-mail atau username", "E-mail address or user name"),
    ForgotDone => ("Jika alamat atau username ini terdaftar, kami telah mengirim tautan untuk membuat password baru. Periksa juga folder spam/junk.", "If this address or user name is registered, we have sent a link to choose a new password. Please also look in the spam/junk folder."),
    ResetIntro => ("Buat password baru untuk akun Anda. Setelah disimpan, Anda keluar dari semua perangkat.", "Choose a new password for your account. Once saved, you are logged out everywhere."),
    ResetDone => ("Password Anda sudah diganti dan Anda telah keluar dari semua perangkat. Silakan masuk dengan password baru.", "Your password is changed and you are logged out everywhere. Please log in with the new password."),
    NotFoundTitle => ("Halaman tidak ditemukan", "Page not found"),
    NotFound => ("Alamat ini tidak ada di sini. Mungkin tautannya salah ketik atau sudah lama.", "There is nothing at this address. The link may be mistyped or old."),
    GatewayBadRequest => ("Permintaan ini tidak dapat dibaca.", "This request cannot be read."),
    GatewayRefused => ("Permintaan ditolak: kirim dari halaman aplikasi ini sendiri.", "Refused: send it from this application's own page."),
    Unreachable => ("Aplikasi ini sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi.", "This application cannot be reached right now. Please try again in a while."),
    TimedOut => ("Aplikasi ini tidak menjawab tepat waktu. Silakan coba lagi.", "This application did not answer in time. Please try again."),
    GatewayFailed => ("Terjadi kesalahan pada gerbang masuk. Silakan coba lagi.", "Something went wrong in the gateway. Please try again."),
    LoginFailedTitle => ("Masuk gagal", "Login failed"),
    LoginExpired => ("Proses masuk sudah kedaluwarsa atau tidak valid. Silakan coba lagi.", "The login expired or is not valid. Please try again."),
    TryAgain => ("Coba lagi", "Try again"),
    YourGroups => ("Hak akses Anda", "Your access rights"),
    GroupUntil => ("Berlaku sampai", "Until"),
    GroupNoEnd => ("Tanpa batas waktu", "No end date"),
    AccessDeniedTitle => ("Akses ditolak", "Access denied"),
    SecondFactorTitle => ("Verifikasi dua langkah", "Two-step verification"),
    SecondFactorOff => ("Belum aktif. Dengan verifikasi dua langkah, selain password Anda juga memakai passkey atau kode dari aplikasi autentikator di ponsel Anda saat masuk.", "Not on. With two-step verification, logging in also asks for a passkey or a code from an authenticator app on your phone, besides your password."),
    SecondFactorAdd => ("Aktifkan aplikasi autentikator", "Set up an authenticator app"),
    SecondFactorAddAnother => ("Tambah aplikasi autentikator lain", "Add another authenticator app"),
    AuthenticatorApp => ("Aplikasi autentikator", "Authenticator app"),
    FactorAddedOn => ("Ditambahkan", "Added"),
    FactorLastUsed => ("terakhir dipakai", "last used"),
    RecoveryLeft => ("Kode pemulihan tersisa:", "Recovery codes left:"),
    EnrolStepApp => ("Pasang aplikasi autentikator di ponsel Anda, misalnya Google Authenticator, Microsoft Authenticator atau FreeOTP.", "Install an authenticator app on your phone, for example Google Authenticator, Microsoft Authenticator or FreeOTP."),
    EnrolStepScan => ("Di aplikasi, pindai kode QR ini, atau ketik kuncinya.", "In the app, scan this QR code, or type its key."),
    EnrolStepCode => ("Ketik kode 6 digit yang ditampilkan aplikasi.", "Type the 6-digit code the app shows."),
    QrLabel => ("Kode QR untuk aplikasi autentikator", "QR code for the authenticator app"),
    SetupKey => ("Kunci", "Key"),
    FactorName => ("Nama perangkat (tidak wajib)", "Device name (optional)"),
    FactorNameHint => ("Misalnya: Ponsel kantor", "For example: Work phone"),
    OneTimeCode => ("Kode 6 digit", "6-digit code"),
    EnrolButton => ("Aktifkan", "Turn on"),
    WrongOneTimeCode => ("Kode salah atau sudah kedaluwarsa. Periksa jam di ponsel Anda, lalu ketik kode yang sedang tampil.", "The code is wrong or has expired. Check your phone's clock, then type the code shown now."),
    FactorNameTooLong => ("Nama perangkat paling banyak 60 karakter.", "The device name can be at most 60 characters."),
    EnrolmentExpired => ("Waktu pengaktifan habis. Mulai lagi dengan kode QR baru di bawah ini.", "The set-up timed out. Start again with the new QR code below."),
    RecoveryTitle => ("Simpan kode pemulihan Anda", "Save your recovery codes"),
    RecoveryIntro => ("Verifikasi dua langkah sudah aktif. Bila ponsel Anda hilang, masuklah dengan salah satu kode ini sebagai ganti kode dari aplikasi. Setiap kode hanya dapat dipakai sekali.", "Two-step verification is on. If you lose your phone, log in with one of these codes instead of the app's code. Each code works once."),
    RecoveryOnce => ("Kode ini hanya ditampilkan sekali ini. Cetak atau simpan di tempat yang aman sekarang.", "These codes are shown only this once. Print them or keep them somewhere safe now."),
    SecondStepIntro => ("Buka aplikasi autentikator Anda dan ketik kode 6 digit untuk akun ini.", "Open your authenticator app and type its 6-digit code for this account."),
    SecondStepCode => ("Kode verifikasi", "Verification code"),
    SecondStepRecoveryCode => ("Kode pemulihan", "Recovery code"),
    SecondStepPasskeyIntro => ("Gunakan passkey Anda: perangkat akan meminta sidik jari, wajah, atau PIN.", "Use your passkey: your device asks for your fingerprint, face or PIN."),
    SecondStepOther => ("Atau ketik kode", "Or type a code"),
    SecondStepRecoveryOnlyHelp => ("Tidak dapat memakai passkey? Ketik salah satu kode pemulihan Anda.", "Cannot use your passkey? Type one of your recovery codes."),
    PasskeyKind => ("Passkey", "Passkey"),
    PasskeyUse => ("Gunakan passkey", "Use a passkey"),
    PasskeyLogin => ("Masuk dengan passkey", "Log in with a passkey"),
    PasskeyLoginOr => ("atau", "or"),
    PasskeyFailed => ("Passkey tidak dapat dipakai: dibatalkan, waktu habis, atau tidak ada passkey untuk situs ini di perangkat ini. Coba lagi, atau pilih cara lain.", "The passkey could not be used: cancelled, timed out, or this device has no passkey for this site. Try again, or choose another way."),
    PasskeyRefused => ("Passkey tidak diterima. Coba lagi, atau pilih cara lain.", "The passkey was not accepted. Try again, or choose another way."),
    PasskeyAdd => ("Buat passkey", "Create a passkey"),
    PasskeyIntro => ("Passkey membuat Anda masuk dengan kunci layar perangkat (sidik jari, wajah, atau PIN), tanpa kode dan tanpa password. Passkey tersimpan di perangkat atau pengelola password Anda; kami hanya menyimpan kunci publiknya, dan passkey hanya bekerja di situs ini.", "A passkey logs you in with your device's screen lock (fingerprint, face or PIN), with no code and no password. It is kept on your device or in your password manager; we keep only its public key, and it works only on this site."),
    PasskeyName => ("Nama passkey (tidak wajib)", "Passkey name (optional)"),
    PasskeyNameHint => ("Misalnya: Laptop kantor", "For example: Work laptop"),
    PasskeyCreate => ("Buat passkey", "Create passkey"),
    PasskeyNeedsScript => ("Membuat passkey memerlukan JavaScript dan peramban yang mendukung passkey. Anda tetap dapat memakai aplikasi autentikator.", "Creating a passkey needs JavaScript and a browser that supports passkeys. You can still use an authenticator app."),
    PasskeyNeedsScriptOnly => ("Membuat passkey memerlukan JavaScript dan peramban yang mendukung passkey.", "Creating a passkey needs JavaScript and a browser that supports passkeys."),
    ConsoleTitle => ("Konsol administrasi", "Administration console"),
    ConsoleNeedsTwoFactor => ("Konsol administrasi memerlukan verifikasi dua langkah. Aktifkan dari Beranda, lalu buka konsol lagi.", "The administration console needs two-step verification. Turn it on from Home, then open the console again."),
    ConsoleNoRole => ("Akun Anda tidak memiliki peran di konsol administrasi.", "Your account has no role in the administration console."),
    ConsoleYourRoles => ("Peran Anda", "Your roles"),
    RoleAdministrator => ("Administrator", "Administrator"),
    RoleHelpdesk => ("Layanan bantuan", "Helpdesk"),
    RoleManagerOf => ("Pengelola grup", "Manager of"),
    ConsoleSearch => ("Cari akun", "Find an account"),
    ConsoleSearchLabel => ("Username, nama, e-mail, nomor telepon, atau NIK/nomor paspor lengkap", "User name, name, e-mail, phone number, or the whole NIK or passport number"),
    ConsoleSearchButton => ("Cari", "Search"),
    ConsoleNoResults => ("Tidak ada akun yang cocok.", "No account matches."),
    ConsoleResults => ("Hasil pencarian", "Results"),
    ConsoleOf => ("dari", "of"),
    ConsoleFound => ("Ditemukan", "Found"),
    ConsolePrevious => ("Sebelumnya", "Previous"),
    ConsoleNext => ("Berikutnya", "Next"),
    ConsoleStatus => ("Status", "Status"),
    StatusActive => ("Aktif", "Active"),
    StatusPending => ("Belum diaktifkan", "Not activated yet"),
    StatusDisabled => ("Dinonaktifkan", "Disabled"),
    ConsoleCreated => ("Terdaftar", "Registered"),
    ConsoleGroups => ("Hak akses", "Access rights"),
    ConsoleEvents => ("Kejadian terakhir", "Recent events"),
    ConsoleNone => ("Tidak ada", "None"),
    ConsoleBackToSearch => ("Kembali ke pencarian", "Back to the search"),
    ConsoleGrant => ("Beri hak akses", "Grant access"),
    ConsoleGroup => ("Grup", "Group"),
    ConsoleUntil => ("Berlaku sampai (hari terakhir)", "Until (last day)"),
    ConsoleUntilHelp => ("Kosongkan bila tanpa batas waktu (hanya administrator).", "Leave empty for no end (administrators only)."),
    ConsoleRevoke => ("Cabut", "Revoke"),
    ConsoleConfirmTitle => ("Konfirmasi tindakan", "Confirm the action"),
    ConsoleReason => ("Alasan (dicatat di log audit)", "Reason (recorded in the audit log)"),
    ConsoleReasonMissing => ("Tulis alasannya.", "Write the reason."),
    ConsoleConfirm => ("Ya, lakukan", "Yes, do it"),
    ConsoleCancel => ("Batal", "Cancel"),
    ConsoleUntilNeeded => ("Pengelola grup wajib memberi tanggal berakhir, setelah hari ini (format 2027-06-30).", "Group managers must give an end date after today (as 2027-06-30)."),
    ConsoleDone => ("Selesai: tercatat di log audit.", "Done: recorded in the audit log."),
    ConsoleActions => ("Tindakan", "Actions"),
    ActionEndSessions => ("Akhiri semua sesi", "End every session"),
    ActionResetFactors => ("Reset verifikasi dua langkah", "Reset two-step verification"),
    ActionUnlock => ("Buka kunci login", "Unlock the login"),
    ActionSendResetLink => ("Kirim tautan reset password", "Send a password reset link"),
    ActionResendActivation => ("Kirim ulang tautan aktivasi", "Send the activation link again"),
    ActionDisable => ("Nonaktifkan akun", "Disable the account"),
    ActionEnable => ("Aktifkan kembali akun", "Enable the account again"),
    ActionDelete => ("Hapus akun", "Delete the account"),
    ConsoleLogin => ("Login", "Login"),
    ConsoleNotLocked => ("Tidak terkunci", "Not locked"),
    ConsoleLockedUntil => ("Terkunci sampai", "Locked until"),
    LockNewDevices => ("semua perangkat baru", "every new device"),
    LockKnownDevice => ("satu perangkat yang pernah dipakai", "one device used before"),
    LockFrom => ("perangkat baru dari", "new devices from"),
    ConsoleDeleted => ("Akun sudah dihapus: tercatat di log audit.", "The account is deleted: recorded in the audit log."),
    ConsolePasswordAgain => ("Password Anda (konfirmasi ulang untuk tindakan ini)", "Your password (confirm again for this action)"),
    ConsoleDeleteWarning => ("Data pribadi akun ini dihapus dan tidak dapat dikembalikan; log audit hanya menyimpan ID-nya.", "This account's personal data is removed for good; the audit log keeps only its id."),
    ConsoleAuditLog => ("Log audit", "Audit log"),
    AuditAccount => ("Akun (username, e-mail atau NIK)", "Account (user name, e-mail or NIK)"),
    AuditKindLabel => ("Jenis kejadian", "Kind of event"),
    AuditAllKinds => ("Semua jenis", "Every kind"),
    AuditActor => ("Petugas (username, atau command-line)", "Operator (user name, or command-line)"),
    AuditFrom => ("Dari tanggal", "From"),
    AuditTo => ("Sampai tanggal (termasuk)", "To (inclusive)"),
    AuditShow => ("Tampilkan", "Show"),
    AuditCsv => ("Unduh CSV", "Download CSV"),
    AuditJsonLines => ("Unduh JSON lines", "Download JSON lines"),
    AuditNoAccount => ("Tidak ada akun dengan username, e-mail atau NIK itu.", "No account has that user name, e-mail or NIK."),
    AuditBadDate => ("Tulis tanggal seperti 2026-12-31.", "Write the date as 2026-12-31."),
    AuditNewestFirst => ("Terbaru di atas: paling banyak 200 kejadian ditampilkan dan 10.000 diunduh.", "Newest first: at most 200 events are shown and 10,000 downloaded."),
    AuditNothing => ("Tidak ada kejadian yang cocok.", "No event matches."),
    ConsoleConfiguration => ("Konfigurasi", "Configuration"),
    ConfigRoutes => ("Rute", "Routes"),
    ConfigUpstreamsHealthy => ("upstream sehat", "upstreams healthy"),
    ConfigPublic => ("publik", "public"),
    ConfigAuthenticated => ("perlu login", "login required"),
    ConfigClients => ("Aplikasi klien OIDC", "OIDC client apps"),
    ConfigRedirects => ("alamat kembali", "redirect addresses"),
    ConfigKeys => ("Kunci penandatanganan", "Signing keys"),
    ConfigActiveFrom => ("aktif sejak", "active from"),
    ConfigRetiredAt => ("dipensiunkan", "retired at"),
    ConfigRotate => ("Putar kunci penandatanganan", "Rotate the signing key"),
    ConfigRotateHelp => ("Kunci baru mulai menandatangani satu jam lagi, setelah aplikasi mengambil JWKS-nya; kunci lama tetap diterbitkan sampai semua token yang ditandatanganinya kedaluwarsa.", "The new key signs in an hour, once apps have fetched the JWKS; the old one stays published until every token it signed has expired."),
    ConfigAlgorithm => ("Algoritma", "Algorithm"),
    ConfigRotated => ("Kunci baru ditambahkan: tercatat di log audit.", "The new key is added: recorded in the audit log."),
    ConfigReload => ("Muat ulang konfigurasi terakhir", "Last configuration reload"),
    ConfigNoReload => ("Belum ada sejak server dimulai.", "None since the server started."),
    ConfigApplied => ("Diterapkan", "Applied"),
    ConfigRefused => ("Ditolak; konfigurasi yang berjalan tetap dipakai", "Refused; the running configuration stays"),
    ConfigRestartNeeded => ("Berlaku setelah restart", "Take effect after a restart"),
    ConsoleFormExpired => ("Formulir ini tidak berlaku lagi. Buka konsol administrasi lagi dari halamannya.", "This form is no longer valid. Open the administration console again from its page."),
    PasskeyAdded => ("Passkey sudah ditambahkan.", "The passkey is added."),
    PasskeyExpired => ("Waktu habis. Coba lagi.", "The time ran out. Try again."),
    SecondStepRecoveryHelp => ("Tidak dapat membuka aplikasi? Ketik salah satu kode pemulihan Anda di kolom yang sama.", "Cannot open the app? Type one of your recovery codes in the same field."),
    VerifyButton => ("Lanjutkan", "Continue"),
    FactorAdded => ("Aplikasi autentikator sudah aktif.", "The authenticator app is on."),
    StepUpEnrolIntro => ("Aplikasi yang Anda buka meminta verifikasi dua langkah. Aktifkan aplikasi autentikator di bawah ini untuk melanjutkan.", "The app you are opening asks for two-step verification. Set up an authenticator app below to go on."),
    ContinueToApp => ("Lanjutkan ke aplikasi", "Continue to the app"),
    RequiredEnrolIntro => ("Akun Anda wajib memakai verifikasi dua langkah.", "Your account must use two-step verification."),
    RequiredEnrolUntil => ("Anda dapat menundanya sampai", "You can put it off until"),
    RequiredEnrolNow => ("Aktifkan sekarang: aplikasi tidak dapat dibuka sebelum verifikasi dua langkah aktif.", "Set it up now: apps do not open until two-step verification is on."),
    EnrolLater => ("Nanti saja", "Not now"),
    RemoveFactor => ("Hapus", "Remove"),
    RemoveFactorTitle => ("Hapus metode verifikasi", "Remove a verification method"),
    RemoveFactorIntro => ("Masukkan password Anda untuk menghapus metode ini dari akun Anda:", "Enter your password to remove this method from your account:"),
    RemoveLastFactor => ("Ini metode verifikasi terakhir Anda: setelah dihapus, verifikasi dua langkah tidak aktif dan kode pemulihan Anda tidak berlaku lagi.", "This is your last verification method: once it is removed, you log in with your password alone, and your recovery codes no longer work."),
    RenewCodes => ("Buat kode pemulihan baru", "Make new recovery codes"),
    RenewCodesIntro => ("Set baru menggantikan kode pemulihan Anda yang sekarang: kode yang lama tidak berlaku lagi. Masukkan password Anda untuk melanjutkan.", "A new set replaces your recovery codes: the old ones stop working. Enter your password to go on."),
    CodesRenewed => ("Kode pemulihan baru sudah dibuat. Kode yang lama tidak berlaku lagi.", "New recovery codes are made. The old ones no longer work."),
    NoAccessTo => (", tetapi belum memiliki akses ke", ", but you have no access to"),
    AskForAccess => ("Mintalah akses kepada administrator instansi Anda, atau masuk dengan akun lain.", "Ask your administrator for access, or log in with another account."),
    NotFromHere => ("tidak dapat dibuka dari jaringan atau perangkat ini.", "cannot be opened from this network or device."),
    RequestCode => ("Kode permintaan", "Request code"),
    RequestCodeHelp => ("Sebutkan kode ini bila menghubungi layanan bantuan.", "Quote this code when you contact the helpdesk."),
    HomeTitle => ("Beranda", "Home"),
    Profile => ("Data akun", "Your account"),
    Apps => ("Aplikasi", "Applications"),
    Sessions => ("Sesi aktif", "Active sessions"),
    LogInTo => ("Masuk ke", "Log in to"),
    ForApp => ("Untuk", "For"),
    LogInAgain => ("Masuk lagi", "Log in again"),
    BackTo => ("Kembali ke", "Back to"),
    UnknownDevice => ("Perangkat tidak dikenal", "Unknown device"),
    SignedInAt => ("Masuk", "Logged in"),
    LastActive => ("Terakhir aktif", "Last active"),
    AppsUsed => ("Aplikasi", "Apps"),
    NoAppsYet => ("belum ada", "none yet"),
    ThisDevice => ("perangkat ini", "this device"),
    EndSession => ("Akhiri sesi ini", "End this session"),
    SessionEnded => ("Sesi di perangkat tersebut sudah diakhiri.", "The session on that device has ended."),
    LogOutEverywhere => ("Keluar dari semua perangkat", "Log out everywhere"),
    ConfirmButton => ("Konfirmasi", "Confirm"),
    CurrentPassword => ("Password saat ini", "Current password"),
    WrongPassword => ("Password saat ini salah.", "The current password is wrong."),
    ChangePassword => ("Ganti password", "Change password"),
    PasswordChanged => ("Password Anda sudah diganti. Sesi di perangkat lain telah diakhiri.", "Your password is changed. Sessions on other devices have been ended."),
    ChangeContact => ("Ubah e-mail atau telepon", "Change e-mail or phone"),
    ContactSaved => ("Perubahan sudah disimpan.", "Your changes are saved."),
    ConfirmNewEmail => ("Kami mengirim tautan konfirmasi ke alamat e-mail yang baru. Alamat baru berlaku setelah tautan itu dibuka.", "We sent a confirmation link to the new e-mail address. The new address takes effect once the link is opened."),
    ConfirmEmailQuestion => ("Tekan tombol di bawah ini untuk memakai alamat ini sebagai e-mail akun Anda.", "Press the button below to make this address your account's e-mail."),
    EmailChanged => ("Alamat e-mail akun Anda sudah diganti.", "Your account's e-mail address is changed."),
    EmailTaken => ("Alamat ini sudah dipakai akun lain. Tidak ada yang diubah.", "This address belongs to another account. Nothing was changed."),
}

/// Why a registration field was refused, in words for the person who typed it.
pub fn problem(lang: Lang, problem: Problem) -> &'static str {
    use Problem::*;
    let (id, en) = match problem {
        Required => ("Wajib diisi.", "Required."),
        NotADate => (
            "Tulis tanggal sebagai tanggal-bulan-tahun, mis. 17-08-1990.",
            "Write the date as day-month-year, e.g. 17-08-1990.",
        ),
        NoSuchDate => (
            "Tanggal ini tidak ada di kalender. Periksa tanggal dan bulannya.",
            "There is no such date. Check the day and the month.",
        ),
        NotTheNiksBirthDate => (
            "Tanggal Lahir tidak sesuai dengan NIK. Periksa keduanya.",
            "The date of birth does not match the NIK. Check both.",
        ),
        DateInFuture => ("Tanggal ini belum lewat.", "This date is in the future."),
        Nik(NikProblem::Length) => ("NIK terdiri dari 16 angka.", "A NIK has 16 digits."),
        Nik(NikProblem::NotDigits) => (
            "NIK hanya berisi angka, tanpa spasi.",
            "A NIK is digits only, without spaces.",
        ),
        Nik(NikProblem::Province) => (
            "Dua angka pertama NIK bukan kode provinsi.",
            "The first two digits of the NIK are no province code.",
        ),
        Nik(NikProblem::EncodedDate) => (
            "Angka ke-7 sampai ke-12 NIK bukan tanggal lahir.",
            "Digits 7 to 12 of the NIK are no birth date.",
        ),
        Nik(NikProblem::BirthDateMismatch) => (
            "NIK tidak sesuai dengan Tanggal Lahir.",
            "The NIK does not match the date of birth.",
        ),
        Nik(NikProblem::Serial) => (
            "Empat angka terakhir NIK tidak valid.",
            "The last four digits of the NIK are not valid.",
        ),
        TooYoung => (
            "Pendaftaran dengan KTP hanya untuk usia 17 tahun ke atas.",
            "Registering with a KTP requires being 17 or older.",
        ),
        Phone(PhoneProblem::Missing) => ("Wajib diisi.", "Required."),
        Phone(PhoneProblem::NotDigits) => (
            "Nomor telepon hanya berisi angka.",
            "A phone number is digits only.",
        ),
        Phone(PhoneProblem::Invalid) => (
            "Nomor ini bukan nomor telepon yang valid untuk negara yang dipilih.",
            "This is no valid phone number of the chosen country.",
        ),
        Phone(PhoneProblem::NotMobile) => (
            "Isi dengan nomor HP (seluler), bukan telepon rumah atau kantor.",
            "Give a mobile number, not a landline.",
        ),
        Phone(PhoneProblem::Country) | UnknownCountry => (
            "Pilih negara dari daftar.",
            "Choose a country from the list.",
        ),
        Email(EmailProblem::Missing) => ("Wajib diisi.", "Required."),
        Email(EmailProblem::Invalid) => (
            "Alamat e-mail tidak valid, mis. nama@contoh.co.id.",
            "Not a valid e-mail address, e.g. name@example.com.",
        ),
        PassportNumber => (
            "Nomor paspor terdiri dari 5 sampai 20 huruf dan angka.",
            "A passport number has 5 to 20 letters and digits.",
        ),
        ExpiryBeforeIssue => (
            "Tanggal expired harus setelah tanggal pengeluaran.",
            "The expiry date must come after the date of issue.",
        ),
        Expired => (
            "Paspor ini sudah tidak berlaku.",
            "This passport has expired.",
        ),
        TooLong => (
            "Terlalu panjang: paling banyak 100 karakter.",
            "Too long: 100 characters at most.",
        ),
        IssuedBeforeBirth => (
            "Tanggal pengeluaran sebelum tanggal lahir.",
            "The date of issue is before the date of birth.",
        ),
        TermsNotAccepted => (
            "Centang kotak ini untuk melanjutkan.",
            "Tick this box to continue.",
        ),
        WrongCaptcha => (
            "Captcha salah atau kedaluwarsa. Ketik tulisan pada gambar yang baru.",
            "The captcha is wrong or expired. Type the word in the new picture.",
        ),
    };
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        for text in Text::ALL {
            let (id, en) = (t(Lang::Id, *text), t(Lang::En, *text));
            assert!(!id.trim().is_empty() && !en.trim().is_empty(), "{text:?}");
        }
        let differ = Text::ALL
            .iter()
            .filter(|x| t(Lang::Id, **x) != t(Lang::En, **x))
            .count();
        assert!(
            differ * 10 >= Text::ALL.len() * 9,
            "most texts are translated, not copied"
        );
    }

    #[test]
    fn language_choice() {
        assert_eq!(Lang::choose(Some("en"), None), Lang::En);
        assert_eq!(Lang::choose(Some("fr en-GB"), None), Lang::En);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("id-ID,en;q=0.5")), Lang::Id);
        assert_eq!(Lang::choose(None, None), Lang::Id);
    }
}
