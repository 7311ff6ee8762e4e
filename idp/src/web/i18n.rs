//! The pages' words, in Indonesian (the default) and English. Every key exists in both: the
//! table is one `match` per key, so a missing translation does not compile.

use crate::account::email::EmailProblem;
use crate::account::nik::NikProblem;
use crate::account::phone::PhoneProblem;
use crate::account::registration::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// The first supported language of `ui_locales` (space-separated) or `Accept-Language`.
    pub fn choose(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
        let wanted = ui_locales
            .map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
            .or_else(|| {
                accept_language.map(|a| {
                    a.split(',')
                        .map(|p| p.split(';').next().unwrap_or("").trim().to_string())
                        .collect()
                })
            })
            .unwrap_or_default();
        for tag in wanted {
            match tag
                .split('-')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
                .as_str()
            {
                "id" | "in" => return Lang::Id,
                "en" => return Lang::En,
                _ => {}
            }
        }
        Lang::Id
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    LoginTitle,
    Username,
    Password,
    Captcha,
    CaptchaHelp,
    CaptchaAudio,
    CaptchaRefresh,
    LoginButton,
    Register,
    ForgotPassword,
    WrongCredentials,
    WrongCaptcha,
    TooManyAttempts,
    Busy,
    Helpdesk,
    ErrorTitle,
    BadRequest,
    LoggedInAs,
    SwitchLanguage,
    LogoutTitle,
    LogoutQuestion,
    LoggedOut,
    ConsentTitle,
    ConsentQuestion,
    Allow,
    Deny,
    RegisterTitle,
    IdentityType,
    Ktp,
    Passport,
    Nik,
    CountryOfOrigin,
    BirthDate,
    DateHint,
    Phone,
    PhoneHint,
    Email,
    PassportNumber,
    PassportCountry,
    PassportIssued,
    PassportExpires,
    PassportOffice,
    Sex,
    Male,
    Female,
    Nationality,
    BirthPlace,
    Terms,
    Submit,
    CaptchaPlaceholder,
    FormHasErrors,
    CheckEmailTitle,
    CheckEmail,
    ResendActivation,
    ResendDone,
    ActivateTitle,
    ActivateQuestion,
    ActivateButton,
    Activated,
    LinkInvalidTitle,
    LinkInvalid,
    NewPasswordTitle,
    NewPasswordHelp,
    NewPassword,
    ConfirmPassword,
    SaveButton,
    PasswordsDiffer,
    PasswordTooShort,
    PasswordTooLong,
    PasswordCommon,
    PasswordSameAsTemporary,
    TemporaryExpired,
    SessionExpired,
    BackToLogin,
    ResendIntro,
    ForgotTitle,
    ForgotIntro,
    EmailOrUsername,
    ForgotDone,
    ResetIntro,
    ResetDone,
    HomeTitle,
    Profile,
    Apps,
    Sessions,
    ThisSite,
    Since,
    ThisDevice,
    LogOutEverywhere,
}

pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (text, lang) {
        (LoginTitle, Lang::Id) => "Masuk",
        (LoginTitle, Lang::En) => "Log in",
        (Username, Lang::Id) => "User Name atau Email",
        (Username, Lang::En) => "User name or e-mail",
        (Password, Lang::Id) => "Password",
        (Password, Lang::En) => "Password",
        (Captcha, Lang::Id) => "Captcha",
        (Captcha, Lang::En) => "Captcha",
        (CaptchaHelp, Lang::Id) => "Ketik tulisan pada gambar.",
        (CaptchaHelp, Lang::En) => "Type the word in the picture.",
        (CaptchaAudio, Lang::Id) => "Dengarkan captcha",
        (CaptchaAudio, Lang::En) => "Listen to the captcha",
        (CaptchaRefresh, Lang::Id) => "Ganti gambar",
        (CaptchaRefresh, Lang::En) => "Another picture",
        (LoginButton, Lang::Id) => "Masuk",
        (LoginButton, Lang::En) => "Log in",
        (Register, Lang::Id) => "Daftar",
        (Register, Lang::En) => "Register",
        (ForgotPassword, Lang::Id) => "Lupa Password?",
        (ForgotPassword, Lang::En) => "Forgot password?",
        (WrongCredentials, Lang::Id) => "User name atau password salah.",
        (WrongCredentials, Lang::En) => "The user name or password is wrong.",
        (WrongCaptcha, Lang::Id) => "Captcha salah atau kedaluwarsa. Silakan coba lagi.",
        (WrongCaptcha, Lang::En) => "The captcha is wrong or expired. Please try again.",
        (TooManyAttempts, Lang::Id) => {
            "Terlalu banyak percobaan. Silakan coba lagi beberapa saat lagi."
        }
        (TooManyAttempts, Lang::En) => "Too many attempts. Please try again in a while.",
        (Busy, Lang::Id) => "Layanan sedang sibuk. Silakan coba lagi sebentar lagi.",
        (Busy, Lang::En) => "The service is busy. Please try again in a moment.",
        (Helpdesk, Lang::Id) => "Butuh bantuan? Hubungi Layanan OSS:",
        (Helpdesk, Lang::En) => "Need help? Contact the OSS helpdesk:",
        (ErrorTitle, Lang::Id) => "Terjadi kesalahan",
        (ErrorTitle, Lang::En) => "Something went wrong",
        (BadRequest, Lang::Id) => "Permintaan masuk dari aplikasi ini tidak valid.",
        (BadRequest, Lang::En) => "The login request from this application is not valid.",
        (LoggedInAs, Lang::Id) => "Anda masuk sebagai",
        (LoggedInAs, Lang::En) => "You are logged in as",
        (SwitchLanguage, Lang::Id) => "English",
        (SwitchLanguage, Lang::En) => "Bahasa Indonesia",
        (LogoutTitle, Lang::Id) => "Keluar",
        (LogoutTitle, Lang::En) => "Log out",
        (LogoutQuestion, Lang::Id) => "Keluar dari semua aplikasi OSS?",
        (LogoutQuestion, Lang::En) => "Log out of every OSS application?",
        (LoggedOut, Lang::Id) => "Anda sudah keluar.",
        (LoggedOut, Lang::En) => "You are logged out.",
        (ConsentTitle, Lang::Id) => "Izin akses",
        (ConsentTitle, Lang::En) => "Allow access",
        (ConsentQuestion, Lang::Id) => "meminta akses ke data Anda berikut:",
        (ConsentQuestion, Lang::En) => "asks for access to this data of yours:",
        (Allow, Lang::Id) => "Izinkan",
        (Allow, Lang::En) => "Allow",
        (Deny, Lang::Id) => "Tolak",
        (Deny, Lang::En) => "Deny",
        (RegisterTitle, Lang::Id) => "Daftar",
        (RegisterTitle, Lang::En) => "Register",
        (IdentityType, Lang::Id) => "Jenis Identitas",
        (IdentityType, Lang::En) => "Identity type",
        (Ktp, Lang::Id) => "Kartu Tanda Penduduk (KTP)",
        (Ktp, Lang::En) => "Indonesian identity card (KTP)",
        (Passport, Lang::Id) => "Paspor",
        (Passport, Lang::En) => "Passport",
        (Nik, Lang::Id) => "Nomor Induk Kependudukan (NIK)",
        (Nik, Lang::En) => "Identity number (NIK)",
        (CountryOfOrigin, Lang::Id) => "Negara Asal",
        (CountryOfOrigin, Lang::En) => "Country",
        (BirthDate, Lang::Id) => "Tanggal Lahir",
        (BirthDate, Lang::En) => "Date of birth",
        (DateHint, Lang::Id) => "tanggal-bulan-tahun, mis. 17-08-1990",
        (DateHint, Lang::En) => "day-month-year, e.g. 17-08-1990",
        (Phone, Lang::Id) => "Nomor Telepon Selular",
        (Phone, Lang::En) => "Mobile phone number",
        (PhoneHint, Lang::Id) => "Nomor HP (tanpa 0 di depan), mis. 8123456789",
        (PhoneHint, Lang::En) => "Mobile number without the leading 0, e.g. 8123456789",
        (Email, Lang::Id) => "Alamat e-mail",
        (Email, Lang::En) => "E-mail address",
        (PassportNumber, Lang::Id) => "Nomor Paspor",
        (PassportNumber, Lang::En) => "Passport number",
        (PassportCountry, Lang::Id) => "Negara Penerbit Paspor",
        (PassportCountry, Lang::En) => "Issuing country",
        (PassportIssued, Lang::Id) => "Tanggal Pengeluaran",
        (PassportIssued, Lang::En) => "Date of issue",
        (PassportExpires, Lang::Id) => "Tanggal Expired Paspor",
        (PassportExpires, Lang::En) => "Date of expiry",
        (PassportOffice, Lang::Id) => "Kantor",
        (PassportOffice, Lang::En) => "Issuing office",
        (Sex, Lang::Id) => "Jenis Kelamin",
        (Sex, Lang::En) => "Sex",
        (Male, Lang::Id) => "Laki-laki",
        (Male, Lang::En) => "Male",
        (Female, Lang::Id) => "Perempuan",
        (Female, Lang::En) => "Female",
        (Nationality, Lang::Id) => "Kewarganegaraan",
        (Nationality, Lang::En) => "Nationality",
        (BirthPlace, Lang::Id) => "Tempat Lahir",
        (BirthPlace, Lang::En) => "Place of birth",
        (Terms, Lang::Id) => "Saya mengerti dan menerima Syarat dan Ketentuan penggunaan sistem OSS",
        (Terms, Lang::En) => "I understand and accept the Terms and Conditions of the OSS system",
        (Submit, Lang::Id) => "Kirim",
        (Submit, Lang::En) => "Submit",
        (CaptchaPlaceholder, Lang::Id) => "MASUKAN KODE CAPTCHA DI ATAS",
        (CaptchaPlaceholder, Lang::En) => "TYPE THE CAPTCHA CODE ABOVE",
        (FormHasErrors, Lang::Id) => "Periksa isian yang ditandai di bawah ini.",
        (FormHasErrors, Lang::En) => "Please check the marked fields below.",
        (CheckEmailTitle, Lang::Id) => "Periksa e-mail Anda",
        (CheckEmailTitle, Lang::En) => "Check your e-mail",
        (CheckEmail, Lang::Id) => "Kami telah mengirim e-mail ke alamat yang Anda isi. Ikuti petunjuknya untuk mengaktifkan akun. Periksa juga folder spam/junk.",
        (CheckEmail, Lang::En) => "We have sent an e-mail to the address you gave. Follow it to activate your account. Please also look in the spam/junk folder.",
        (ResendActivation, Lang::Id) => "Kirim ulang e-mail aktivasi",
        (ResendActivation, Lang::En) => "Send the activation e-mail again",
        (ResendDone, Lang::Id) => "Jika ada akun yang menunggu aktivasi dengan alamat ini, kami telah mengirim tautan baru; tautan sebelumnya tidak berlaku lagi.",
        (ResendDone, Lang::En) => "If an account with this address awaits activation, we have sent a new link; the earlier link no longer works.",
        (ActivateTitle, Lang::Id) => "Aktivasi akun",
        (ActivateTitle, Lang::En) => "Activate your account",
        (ActivateQuestion, Lang::Id) => "Tekan tombol di bawah ini untuk mengaktifkan akun OSS Anda.",
        (ActivateQuestion, Lang::En) => "Press the button below to activate your OSS account.",
        (ActivateButton, Lang::Id) => "Aktifkan akun",
        (ActivateButton, Lang::En) => "Activate account",
        (Activated, Lang::Id) => "Akun Anda sudah aktif. Kami mengirim User dan Password ke e-mail Anda.",
        (Activated, Lang::En) => "Your account is active. We have sent your user name and password to your e-mail.",
        (LinkInvalidTitle, Lang::Id) => "Tautan tidak berlaku",
        (LinkInvalidTitle, Lang::En) => "Link no longer valid",
        (LinkInvalid, Lang::Id) => "Tautan ini sudah dipakai atau sudah kedaluwarsa. Minta tautan baru, atau masuk bila akun Anda sudah aktif.",
        (LinkInvalid, Lang::En) => "This link has been used or has expired. Ask for a new one, or log in if your account is already active.",
        (NewPasswordTitle, Lang::Id) => "Buat password baru",
        (NewPasswordTitle, Lang::En) => "Choose a new password",
        (NewPasswordHelp, Lang::Id) => "Password sementara harus diganti. Gunakan minimal 8 karakter; kalimat yang mudah Anda ingat lebih baik daripada kata yang rumit.",
        (NewPasswordHelp, Lang::En) => "Your temporary password must be replaced. Use at least 8 characters; a sentence you can remember beats a complicated word.",
        (NewPassword, Lang::Id) => "Password baru",
        (NewPassword, Lang::En) => "New password",
        (ConfirmPassword, Lang::Id) => "Ulangi password baru",
        (ConfirmPassword, Lang::En) => "Repeat the new password",
        (SaveButton, Lang::Id) => "Simpan",
        (SaveButton, Lang::En) => "Save",
        (PasswordsDiffer, Lang::Id) => "Kedua password tidak sama.",
        (PasswordsDiffer, Lang::En) => "The two passwords differ.",
        (PasswordTooShort, Lang::Id) => "Password minimal 8 karakter.",
        (PasswordTooShort, Lang::En) => "A password has at least 8 characters.",
        (PasswordTooLong, Lang::Id) => "Password maksimal 256 karakter.",
        (PasswordTooLong, Lang::En) => "A password has at most 256 characters.",
        (PasswordCommon, Lang::Id) => "Password ini terlalu umum dan mudah ditebak. Pilih yang lain.",
        (PasswordCommon, Lang::En) => "This password is too common and easy to guess. Choose another.",
        (PasswordSameAsTemporary, Lang::Id) => "Password baru tidak boleh sama dengan password sementara.",
        (PasswordSameAsTemporary, Lang::En) => "The new password must differ from the temporary one.",
        (TemporaryExpired, Lang::Id) => "Password sementara Anda sudah tidak berlaku. Gunakan \"Lupa Password?\" untuk mendapatkan yang baru.",
        (TemporaryExpired, Lang::En) => "Your temporary password has expired. Use \"Forgot password?\" to get a new one.",
        (SessionExpired, Lang::Id) => "Waktu pengisian habis. Silakan masuk lagi.",
        (SessionExpired, Lang::En) => "This form has expired. Please log in again.",
        (BackToLogin, Lang::Id) => "Kembali ke halaman Masuk",
        (BackToLogin, Lang::En) => "Back to the login page",
        (ResendIntro, Lang::Id) => "Isi alamat e-mail yang Anda daftarkan. Kami mengirim tautan aktivasi yang baru.",
        (ResendIntro, Lang::En) => "Enter the e-mail address you registered with. We will send a new activation link.",
        (ForgotTitle, Lang::Id) => "Lupa Password",
        (ForgotTitle, Lang::En) => "Forgot password",
        (ForgotIntro, Lang::Id) => "Isi alamat e-mail atau User Anda. Kami mengirim tautan untuk membuat password baru.",
        (ForgotIntro, Lang::En) => "Enter your e-mail address or user name. We will send a link to choose a new password.",
        (EmailOrUsername, Lang::Id) => "Alamat e-mail atau User",
        (EmailOrUsername, Lang::En) => "E-mail address or user name",
        (ForgotDone, Lang::Id) => "Jika alamat atau User ini terdaftar, kami telah mengirim tautan untuk membuat password baru. Periksa juga folder spam/junk.",
        (ForgotDone, Lang::En) => "If this address or user name is registered, we have sent a link to choose a new password. Please also look in the spam/junk folder.",
        (ResetIntro, Lang::Id) => "Buat password baru untuk akun Anda. Setelah disimpan, Anda keluar dari semua perangkat.",
        (ResetIntro, Lang::En) => "Choose a new password for your account. Once saved, you are logged out everywhere.",
        (ResetDone, Lang::Id) => "Password Anda sudah diganti dan Anda telah keluar dari semua perangkat. Silakan masuk dengan password baru.",
        (ResetDone, Lang::En) => "Your password is changed and you are logged out everywhere. Please log in with the new password.",
        (HomeTitle, Lang::Id) => "Beranda",
        (HomeTitle, Lang::En) => "Home",
        (Profile, Lang::Id) => "Data akun",
        (Profile, Lang::En) => "Your account",
        (Apps, Lang::Id) => "Aplikasi",
        (Apps, Lang::En) => "Applications",
        (Sessions, Lang::Id) => "Sesi aktif",
        (Sessions, Lang::En) => "Active sessions",
        (ThisSite, Lang::Id) => "Gerbang SSO",
        (ThisSite, Lang::En) => "Gerbang SSO",
        (Since, Lang::Id) => "sejak",
        (Since, Lang::En) => "since",
        (ThisDevice, Lang::Id) => "perangkat ini",
        (ThisDevice, Lang::En) => "this device",
        (LogOutEverywhere, Lang::Id) => "Keluar dari semua perangkat",
        (LogOutEverywhere, Lang::En) => "Log out everywhere",
    }
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
        Phone(PhoneProblem::LeadingZero) => (
            "Tulis nomor tanpa 0 di depan: 8123456789, bukan 08123456789.",
            "Leave out the leading 0: 8123456789, not 08123456789.",
        ),
        Phone(PhoneProblem::CountryCodeTyped) => (
            "Tulis nomor tanpa kode negara; kode negara dipilih di Negara Asal.",
            "Leave out the country code; it comes from the country chosen above.",
        ),
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
    fn language_choice() {
        assert_eq!(Lang::choose(Some("en"), None), Lang::En);
        assert_eq!(Lang::choose(Some("fr en-GB"), None), Lang::En);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("id-ID,en;q=0.5")), Lang::Id);
        assert_eq!(Lang::choose(None, None), Lang::Id);
    }
}
