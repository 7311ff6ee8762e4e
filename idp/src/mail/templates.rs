//! The messages Gerbang sends, each in Indonesian and English, as plain text and HTML. Links
//! are made from the configured issuer, never from a request's Host header.

use gerbang_config::{Config, Helpdesk};
use maud::{html, Markup};

use crate::lang::Lang;
use crate::store::NewMail;

/// What a message says, before it is laid out as text and HTML.
struct Letter<'a> {
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    /// A button (HTML) or a line (text): label and absolute URL.
    action: Option<(&'a str, String)>,
    /// Lines shown as a labelled list (user name and password).
    facts: Vec<(&'a str, String)>,
}

/// Who a message comes from: the product it names, the helpdesk it points to and the colour of
/// its button (`[ui]` and `[helpdesk]`).
pub struct Sender<'a> {
    pub product: &'a str,
    pub desk: &'a Helpdesk,
    pub color: String,
}

/// The button's colour when `[ui]` names none (the pages' default accent).
const DEFAULT_COLOR: &str = "#0b4f8a";

impl<'a> Sender<'a> {
    pub fn of(config: &'a Config) -> Self {
        Self {
            product: &config.ui.product_name,
            desk: &config.helpdesk,
            color: config
                .ui
                .primary_color
                .map_or_else(|| DEFAULT_COLOR.into(), |c| c.to_string()),
        }
    }
}

fn compose(to: &str, lang: Lang, letter: Letter<'_>, from: &Sender) -> NewMail {
    let product = from.product;
    let (help, closing) = match lang {
        Lang::Id => (
            format!("Apabila mengalami kendala, hubungi Layanan {product}:"),
            format!("Salam,\nLayanan {product}"),
        ),
        Lang::En => (
            format!("If something does not work, contact the {product} helpdesk:"),
            format!("Regards,\n{product} helpdesk"),
        ),
    };
    let desk = from.desk;
    let contacts: Vec<&str> = desk
        .phones
        .iter()
        .chain(&desk.emails)
        .map(String::as_str)
        .collect();
    let mut text = format!("{}\n\n", letter.greeting);
    for p in &letter.paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    for (label, value) in &letter.facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if !letter.facts.is_empty() {
        text.push('\n');
    }
    if let Some((label, url)) = &letter.action {
        text.push_str(&format!("{label}:\n{url}\n\n"));
    }
    text.push_str(&format!("{help} {}\n\n{closing}\n", contacts.join(", ")));
    let html: Markup = html! {
        (maud::DOCTYPE)
        html lang=(lang.code()) {
            body style="font-family: sans-serif; color: #1a1a1a; max-width: 36rem" {
                p { (letter.greeting) }
                @for p in &letter.paragraphs { p { (p) } }
                @if !letter.facts.is_empty() {
                    table {
                        @for (label, value) in &letter.facts {
                            tr { th align="left" { (label) } td { code { (value) } } }
                        }
                    }
                }
                @if let Some((label, url)) = &letter.action {
                    p { a href=(url) style=(format!("display: inline-block; padding: .6rem 1rem; background: {}; color: #fff; text-decoration: none; border-radius: 4px", from.color)) { (label) } }
                    p style="font-size: .85rem" { (url) }
                }
                p style="font-size: .85rem" { (help) " " (contacts.join(", ")) }
                p { @for line in closing.lines() { (line) br; } }
            }
        }
    };
    NewMail {
        to: to.into(),
        subject: letter.subject,
        text,
        html: Some(html.into_string()),
    }
}

/// The first e-mail (guide 1.2, Gambar 3): the activation link.
pub fn activation(to: &str, lang: Lang, link: &str, hours: u64, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Aktivasi akun {product}"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Terima kasih telah mendaftar. Untuk mengaktifkan akun Anda, buka tautan di bawah ini.".into(),
                format!("Tautan ini hanya dapat dipakai sekali dan berlaku {hours} jam. Setelah aktivasi, kami mengirim e-mail berisi username dan password Anda."),
                "Jika Anda tidak mendaftar, abaikan e-mail ini.".into(),
            ],
            action: Some(("Aktifkan akun", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("Activate your {product} account"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "Thank you for registering. To activate your account, open the link below.".into(),
                format!("The link works once and for {hours} hours. After activation we send you an e-mail with your user name and password."),
                "If you did not register, ignore this e-mail.".into(),
            ],
            action: Some(("Activate account", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// The second e-mail (guide 1.2, Gambar 4): user name and temporary password.
pub fn credentials(
    to: &str,
    lang: Lang,
    username: &str,
    password: &str,
    login: &str,
    hours: u64,
    from: &Sender,
) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Username dan password akun {product}"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Akun Anda sudah aktif. Berikut username dan password sementara Anda.".into(),
                format!("Password ini harus diganti saat Anda pertama kali masuk, dan tidak berlaku lagi bila tidak dipakai dalam {hours} jam."),
            ],
            action: Some(("Masuk", login.into())),
            facts: vec![("Username", username.into()), ("Password", password.into())],
        },
        Lang::En => Letter {
            subject: format!("Your {product} user name and password"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "Your account is active. Here are your user name and temporary password.".into(),
                format!("You must change this password when you first log in; it stops working if unused for {hours} hours."),
            ],
            action: Some(("Log in", login.into())),
            facts: vec![("User name", username.into()), ("Password", password.into())],
        },
    };
    compose(to, lang, letter, from)
}

/// To the owner of an address someone tried to register again: no second account, and the
/// way back in.
pub fn already_registered(to: &str, lang: Lang, forgot: &str, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Pendaftaran akun {product}"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Seseorang (mungkin Anda) mencoba mendaftar dengan alamat e-mail ini atau dengan nomor identitas Anda, yang sudah terdaftar. Tidak ada akun baru yang dibuat.".into(),
                "Jika Anda lupa password, aturlah ulang melalui tautan di bawah ini. Jika bukan Anda, abaikan e-mail ini.".into(),
            ],
            action: Some(("Lupa Password?", forgot.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("{product} account registration"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "Someone (perhaps you) tried to register with this e-mail address or your identity number, which already has an account. No new account was made.".into(),
                "If you forgot your password, reset it with the link below. If it was not you, ignore this e-mail.".into(),
            ],
            action: Some(("Forgot password?", forgot.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// "Lupa Password?": the reset link.
pub fn reset(
    to: &str,
    lang: Lang,
    username: &str,
    link: &str,
    minutes: u64,
    from: &Sender,
) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Atur ulang password {product}"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Kami menerima permintaan untuk mengatur ulang password akun Anda. Buka tautan di bawah ini untuk membuat password baru.".into(),
                format!("Tautan ini hanya dapat dipakai sekali dan berlaku {minutes} menit. Setelah password diganti, Anda keluar dari semua perangkat."),
                "Jika Anda tidak memintanya, abaikan e-mail ini; password Anda tidak berubah.".into(),
            ],
            action: Some(("Buat password baru", link.into())),
            facts: vec![("Username", username.into())],
        },
        Lang::En => Letter {
            subject: format!("Reset your {product} password"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "We received a request to reset the password of your account. Open the link below to choose a new one.".into(),
                format!("The link works once and for {minutes} minutes. Once the password is changed, you are logged out everywhere."),
                "If you did not ask for this, ignore this e-mail; your password stays as it is.".into(),
            ],
            action: Some(("Choose a new password", link.into())),
            facts: vec![("User name", username.into())],
        },
    };
    compose(to, lang, letter, from)
}

/// To a new address: confirm it before the account takes it.
pub fn confirm_email(to: &str, lang: Lang, link: &str, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Konfirmasi alamat e-mail {product}"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                format!("Alamat ini diminta menjadi alamat e-mail akun {product}. Buka tautan di bawah ini untuk mengonfirmasinya; sebelum itu tidak ada yang berubah."),
                "Jika Anda tidak memintanya, abaikan e-mail ini.".into(),
            ],
            action: Some(("Konfirmasi alamat", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("Confirm your {product} e-mail address"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                format!("This address was given as the e-mail address of an {product} account. Open the link below to confirm it; nothing changes before that."),
                "If you did not ask for this, ignore this e-mail.".into(),
            ],
            action: Some(("Confirm address", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// To the old address, once the account has a new one.
pub fn email_changed(to: &str, lang: Lang, new_address: &str, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Alamat e-mail akun {product} diganti"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                format!("Alamat e-mail akun {product} Anda telah diganti. E-mail berikutnya dikirim ke alamat baru."),
                format!("Jika bukan Anda yang menggantinya, segera hubungi Layanan {product}."),
            ],
            action: None,
            facts: vec![("Alamat baru", new_address.into())],
        },
        Lang::En => Letter {
            subject: format!("Your {product} e-mail address was changed"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                format!("The e-mail address of your {product} account was changed. Further e-mails go to the new address."),
                format!("If you did not change it, contact the {product} helpdesk at once."),
            ],
            action: None,
            facts: vec![("New address", new_address.into())],
        },
    };
    compose(to, lang, letter, from)
}

/// To the owner of an account that repeated failed logins locked for new devices: a link that
/// lets the device it is opened on log in (with the password) while the lock lasts.
pub fn unlock_device(to: &str, lang: Lang, link: &str, minutes: u64, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Login ke akun {product} Anda dikunci sementara"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Terlalu banyak percobaan masuk yang gagal ke akun Anda, sehingga login dari perangkat baru dikunci sementara. Perangkat yang pernah Anda pakai untuk masuk tetap dapat masuk.".into(),
                format!("Jika yang mencoba adalah Anda, buka tautan di bawah ini di perangkat yang ingin Anda pakai: perangkat itu dapat masuk lagi dengan password Anda. Tautan ini hanya dapat dipakai sekali dan berlaku {minutes} menit."),
                "Jika bukan Anda, tidak ada yang perlu dilakukan; password Anda tetap aman selama tidak diketahui orang lain. Sebaiknya ganti password bila ragu.".into(),
            ],
            action: Some(("Buka kunci perangkat ini", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("Logins to your {product} account are locked for a while"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "Too many failed logins to your account have locked it for new devices for a while. Devices you logged in with before can still log in.".into(),
                format!("If it was you, open the link below on the device you want to use: it can log in again with your password. The link works once and for {minutes} minutes."),
                "If it was not you, there is nothing to do; your password is safe as long as nobody else knows it. Change it if in doubt.".into(),
            ],
            action: Some(("Unlock this device", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// A recovery code was used to log in: the owner learns it (and how many are left), in case it
/// was not them.
pub fn recovery_code_used(to: &str, lang: Lang, left: usize, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Kode pemulihan dipakai untuk masuk ke akun {product} Anda"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Salah satu kode pemulihan Anda baru saja dipakai untuk masuk, sebagai ganti kode dari aplikasi autentikator. Kode itu tidak dapat dipakai lagi.".into(),
                format!("Kode pemulihan Anda tersisa {left}. Bila tinggal sedikit, buat set baru dari Beranda."),
                "Jika bukan Anda yang masuk, segera ganti password Anda dan hubungi layanan bantuan.".into(),
            ],
            action: None,
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("A recovery code was used to log in to your {product} account"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "One of your recovery codes was just used to log in, instead of a code from your authenticator app. It cannot be used again.".into(),
                format!("You have {left} recovery codes left. When few are left, make a new set from Home."),
                "If it was not you, change your password at once and contact the helpdesk.".into(),
            ],
            action: None,
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// A second factor was removed from the account (`name`, "" when it has none); `still_on` when
/// others remain, so
/// two-step verification stays on.
pub fn second_factor_removed(
    to: &str,
    lang: Lang,
    (name, passkey): (&str, bool),
    still_on: bool,
    from: &Sender,
) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Verifikasi dua langkah akun {product} Anda diubah"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                match (name, passkey) {
                    ("", false) => "Sebuah aplikasi autentikator baru saja dihapus dari akun Anda.".into(),
                    ("", true) => "Sebuah passkey baru saja dihapus dari akun Anda: passkey itu tidak dapat dipakai masuk lagi.".into(),
                    (_, false) => format!("Aplikasi autentikator \"{name}\" baru saja dihapus dari akun Anda."),
                    (_, true) => format!("Passkey \"{name}\" baru saja dihapus dari akun Anda: passkey itu tidak dapat dipakai masuk lagi."),
                },
                match still_on {
                    true => "Verifikasi dua langkah tetap aktif dengan metode Anda yang lain.".into(),
                    false => "Verifikasi dua langkah kini tidak aktif: masuk hanya memerlukan password. Kode pemulihan Anda yang lama tidak berlaku lagi. Anda dapat mengaktifkannya lagi dari Beranda.".into(),
                },
                "Jika bukan Anda yang melakukannya, segera ganti password Anda dan hubungi layanan bantuan.".into(),
            ],
            action: None,
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("Two-step verification of your {product} account changed"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                match (name, passkey) {
                    ("", false) => "An authenticator app was just removed from your account.".into(),
                    ("", true) => "A passkey was just removed from your account: it no longer logs in.".into(),
                    (_, false) => format!("The authenticator app \"{name}\" was just removed from your account."),
                    (_, true) => format!("The passkey \"{name}\" was just removed from your account: it no longer logs in."),
                },
                match still_on {
                    true => "Two-step verification stays on with your other methods.".into(),
                    false => "Two-step verification is now off: logging in needs only your password. Your old recovery codes no longer work. You can turn it on again from Home.".into(),
                },
                "If it was not you, change your password at once and contact the helpdesk.".into(),
            ],
            action: None,
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// Helpdesk reset the account's two-step verification (someone lost their phone).
pub fn second_factors_reset(to: &str, lang: Lang, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match lang {
        Lang::Id => Letter {
            subject: format!("Verifikasi dua langkah akun {product} Anda direset"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                "Atas permintaan ke layanan bantuan, semua aplikasi autentikator dan kode pemulihan akun Anda telah dihapus, dan Anda telah dikeluarkan dari semua perangkat.".into(),
                "Masuklah dengan password Anda, lalu aktifkan verifikasi dua langkah lagi dari Beranda dengan ponsel Anda yang sekarang.".into(),
                "Jika Anda tidak meminta ini, segera ganti password Anda dan hubungi layanan bantuan.".into(),
            ],
            action: None,
            facts: vec![],
        },
        Lang::En => Letter {
            subject: format!("Two-step verification of your {product} account was reset"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                "As asked of the helpdesk, every authenticator app and recovery code of your account was removed, and you were logged out on every device.".into(),
                "Log in with your password, then turn two-step verification on again from Home with the phone you have now.".into(),
                "If you did not ask for this, change your password at once and contact the helpdesk.".into(),
            ],
            action: None,
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

/// To the owner of an account an operator disabled (`disabled`) or enabled again.
pub fn account_status(to: &str, lang: Lang, disabled: bool, from: &Sender) -> NewMail {
    let product = from.product;
    let letter = match (lang, disabled) {
        (Lang::Id, true) => Letter {
            subject: format!("Akun {product} Anda dinonaktifkan"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                format!("Akun {product} Anda telah dinonaktifkan oleh petugas, dan Anda telah dikeluarkan dari semua perangkat. Selama nonaktif, akun ini tidak dapat dipakai untuk masuk."),
                "Jika Anda tidak mengetahui alasannya, hubungi layanan bantuan.".into(),
            ],
            action: None,
            facts: vec![],
        },
        (Lang::Id, false) => Letter {
            subject: format!("Akun {product} Anda aktif kembali"),
            greeting: format!("Yth. Pengguna {product},"),
            paragraphs: vec![
                format!("Akun {product} Anda telah diaktifkan kembali oleh petugas. Anda dapat masuk lagi dengan user name dan password Anda."),
                "Jika Anda tidak memintanya, hubungi layanan bantuan.".into(),
            ],
            action: None,
            facts: vec![],
        },
        (Lang::En, true) => Letter {
            subject: format!("Your {product} account was disabled"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                format!("An officer disabled your {product} account, and you were logged out on every device. While it is disabled, nobody can log in with it."),
                "If you do not know why, contact the helpdesk.".into(),
            ],
            action: None,
            facts: vec![],
        },
        (Lang::En, false) => Letter {
            subject: format!("Your {product} account is enabled again"),
            greeting: format!("Dear {product} user,"),
            paragraphs: vec![
                format!("An officer enabled your {product} account again. You can log in with your user name and password."),
                "If you did not ask for this, contact the helpdesk.".into(),
            ],
            action: None,
            facts: vec![],
        },
    };
    compose(to, lang, letter, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk() -> Helpdesk {
        Helpdesk {
            text: None,
            phones: vec!["08071002576".into()],
            emails: vec!["helpdesk.oss@bkpm.go.id".into()],
        }
    }

    fn oss(desk: &Helpdesk) -> Sender<'_> {
        Sender {
            product: "OSS",
            desk,
            color: "#123456".into(),
        }
    }

    #[test]
    fn second_factor_notices_in_both_languages() {
        let desk = desk();
        for (lang, left, on, off) in [
            (Lang::Id, "tersisa 9", "tetap aktif", "kini tidak aktif"),
            (
                Lang::En,
                "have 9 recovery codes left",
                "stays on",
                "is now off",
            ),
        ] {
            let used = recovery_code_used("a@example.id", lang, 9, &oss(&desk));
            assert!(used.text.contains(left), "{}", used.text);
            let app = ("Ponsel", false);
            let kept = second_factor_removed("a@example.id", lang, app, true, &oss(&desk));
            let gone = second_factor_removed("a@example.id", lang, app, false, &oss(&desk));
            assert!(kept.text.contains(on) && !kept.text.contains(off));
            assert!(gone.text.contains(off) && !gone.text.contains(on));
            // A passkey is named as one, and its mail says it no longer logs in.
            let key = ("Laptop", true);
            let passkey = second_factor_removed("a@example.id", lang, key, true, &oss(&desk));
            assert!(
                passkey.text.contains("Passkey \"Laptop\"")
                    || passkey.text.contains("passkey \"Laptop\"")
            );
            assert!(
                !passkey.text.contains("authenticator") && !passkey.text.contains("autentikator")
            );
            let reset = second_factors_reset("a@example.id", lang, &oss(&desk));
            for mail in [used, kept, gone, passkey, reset] {
                assert!(mail.text.contains("08071002576"), "{}", mail.text);
                assert!(mail.subject.contains("OSS"), "{}", mail.subject);
                let html = mail.html.as_deref().unwrap();
                assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
            }
        }
    }

    #[test]
    fn every_message_in_both_languages_with_text_and_html() {
        for lang in [Lang::Id, Lang::En] {
            let link = "https://sso.example.id/activate?token=abc";
            for mail in [
                activation("a@example.id", lang, link, 24, &oss(&desk())),
                credentials(
                    "a@example.id",
                    lang,
                    "budi.s4",
                    "kuda-laut-biru",
                    link,
                    72,
                    &oss(&desk()),
                ),
                already_registered("a@example.id", lang, link, &oss(&desk())),
                reset("a@example.id", lang, "budi.s4", link, 60, &oss(&desk())),
                confirm_email("a@example.id", lang, link, &oss(&desk())),
                unlock_device("a@example.id", lang, link, 30, &oss(&desk())),
            ] {
                let html = mail.html.as_deref().unwrap();
                assert!(
                    mail.text.contains(link) && html.contains(link),
                    "{}",
                    mail.subject
                );
                assert!(
                    mail.text.contains("08071002576"),
                    "helpdesk in {}",
                    mail.subject
                );
                assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
                assert!(
                    mail.subject.contains("OSS") && !mail.text.contains("Gerbang"),
                    "the product's name in {}",
                    mail.subject
                );
                assert!(html.contains("background: #123456"), "the product's colour");
            }
        }
        let id = activation("a@example.id", Lang::Id, "x", 24, &oss(&desk()));
        let en = activation("a@example.id", Lang::En, "x", 24, &oss(&desk()));
        assert_ne!(id.subject, en.subject);
        let sent = credentials(
            "a@example.id",
            Lang::En,
            "budi.s4",
            "p<&>w",
            "x",
            72,
            &oss(&desk()),
        );
        assert!(sent.text.contains("User name: budi.s4") && sent.text.contains("Password: p<&>w"));
        assert!(
            sent.html.unwrap().contains("p&lt;&amp;&gt;w"),
            "escaped in HTML"
        );
    }
}
