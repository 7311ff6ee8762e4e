//! The messages Gerbang sends, each in Indonesian and English, as plain text and HTML. Links
//! are made from the configured issuer, never from a request's Host header.

use gerbang_config::Helpdesk;
use maud::{html, Markup};

use crate::lang::Lang;
use crate::store::NewMail;

/// What a message says, before it is laid out as text and HTML.
struct Letter<'a> {
    subject: &'a str,
    greeting: &'a str,
    paragraphs: Vec<String>,
    /// A button (HTML) or a line (text): label and absolute URL.
    action: Option<(&'a str, String)>,
    /// Lines shown as a labelled list (user name and password).
    facts: Vec<(&'a str, String)>,
}

fn compose(to: &str, lang: Lang, letter: Letter<'_>, desk: &Helpdesk) -> NewMail {
    let (help, closing) = match lang {
        Lang::Id => (
            "Apabila mengalami kendala, hubungi Layanan OSS:",
            "Salam,\nLayanan OSS",
        ),
        Lang::En => (
            "If something does not work, contact the OSS helpdesk:",
            "Regards,\nOSS helpdesk",
        ),
    };
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
                    p { a href=(url) style="display: inline-block; padding: .6rem 1rem; background: #0b4f8a; color: #fff; text-decoration: none; border-radius: 4px" { (label) } }
                    p style="font-size: .85rem" { (url) }
                }
                p style="font-size: .85rem" { (help) " " (contacts.join(", ")) }
                p { @for line in closing.lines() { (line) br; } }
            }
        }
    };
    NewMail {
        to: to.into(),
        subject: letter.subject.into(),
        text,
        html: Some(html.into_string()),
    }
}

/// The first e-mail (guide 1.2, Gambar 3): the activation link.
pub fn activation(to: &str, lang: Lang, link: &str, hours: u64, desk: &Helpdesk) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Aktivasi akun OSS",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Terima kasih telah mendaftar. Untuk mengaktifkan akun Anda, buka tautan di bawah ini.".into(),
                format!("Tautan ini hanya dapat dipakai sekali dan berlaku {hours} jam. Setelah aktivasi, kami mengirim e-mail berisi username dan password Anda."),
                "Jika Anda tidak mendaftar, abaikan e-mail ini.".into(),
            ],
            action: Some(("Aktifkan akun", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: "Activate your OSS account",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "Thank you for registering. To activate your account, open the link below.".into(),
                format!("The link works once and for {hours} hours. After activation we send you an e-mail with your user name and password."),
                "If you did not register, ignore this e-mail.".into(),
            ],
            action: Some(("Activate account", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, desk)
}

/// The second e-mail (guide 1.2, Gambar 4): user name and temporary password.
pub fn credentials(
    to: &str,
    lang: Lang,
    username: &str,
    password: &str,
    login: &str,
    hours: u64,
    desk: &Helpdesk,
) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Username dan password akun OSS",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Akun Anda sudah aktif. Berikut username dan password sementara Anda.".into(),
                format!("Password ini harus diganti saat Anda pertama kali masuk, dan tidak berlaku lagi bila tidak dipakai dalam {hours} jam."),
            ],
            action: Some(("Masuk", login.into())),
            facts: vec![("Username", username.into()), ("Password", password.into())],
        },
        Lang::En => Letter {
            subject: "Your OSS user name and password",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "Your account is active. Here are your user name and temporary password.".into(),
                format!("You must change this password when you first log in; it stops working if unused for {hours} hours."),
            ],
            action: Some(("Log in", login.into())),
            facts: vec![("User name", username.into()), ("Password", password.into())],
        },
    };
    compose(to, lang, letter, desk)
}

/// To the owner of an address someone tried to register again: no second account, and the
/// way back in.
pub fn already_registered(to: &str, lang: Lang, forgot: &str, desk: &Helpdesk) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Pendaftaran akun OSS",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Seseorang (mungkin Anda) mencoba mendaftar dengan alamat e-mail ini atau dengan nomor identitas Anda, yang sudah terdaftar. Tidak ada akun baru yang dibuat.".into(),
                "Jika Anda lupa password, aturlah ulang melalui tautan di bawah ini. Jika bukan Anda, abaikan e-mail ini.".into(),
            ],
            action: Some(("Lupa Password?", forgot.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: "OSS account registration",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "Someone (perhaps you) tried to register with this e-mail address or your identity number, which already has an account. No new account was made.".into(),
                "If you forgot your password, reset it with the link below. If it was not you, ignore this e-mail.".into(),
            ],
            action: Some(("Forgot password?", forgot.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, desk)
}

/// "Lupa Password?": the reset link.
pub fn reset(
    to: &str,
    lang: Lang,
    username: &str,
    link: &str,
    minutes: u64,
    desk: &Helpdesk,
) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Atur ulang password OSS",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Kami menerima permintaan untuk mengatur ulang password akun Anda. Buka tautan di bawah ini untuk membuat password baru.".into(),
                format!("Tautan ini hanya dapat dipakai sekali dan berlaku {minutes} menit. Setelah password diganti, Anda keluar dari semua perangkat."),
                "Jika Anda tidak memintanya, abaikan e-mail ini; password Anda tidak berubah.".into(),
            ],
            action: Some(("Buat password baru", link.into())),
            facts: vec![("Username", username.into())],
        },
        Lang::En => Letter {
            subject: "Reset your OSS password",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "We received a request to reset the password of your account. Open the link below to choose a new one.".into(),
                format!("The link works once and for {minutes} minutes. Once the password is changed, you are logged out everywhere."),
                "If you did not ask for this, ignore this e-mail; your password stays as it is.".into(),
            ],
            action: Some(("Choose a new password", link.into())),
            facts: vec![("User name", username.into())],
        },
    };
    compose(to, lang, letter, desk)
}

/// To a new address: confirm it before the account takes it.
pub fn confirm_email(to: &str, lang: Lang, link: &str, desk: &Helpdesk) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Konfirmasi alamat e-mail OSS",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Alamat ini diminta menjadi alamat e-mail akun OSS. Buka tautan di bawah ini untuk mengonfirmasinya; sebelum itu tidak ada yang berubah.".into(),
                "Jika Anda tidak memintanya, abaikan e-mail ini.".into(),
            ],
            action: Some(("Konfirmasi alamat", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: "Confirm your OSS e-mail address",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "This address was given as the e-mail address of an OSS account. Open the link below to confirm it; nothing changes before that.".into(),
                "If you did not ask for this, ignore this e-mail.".into(),
            ],
            action: Some(("Confirm address", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, desk)
}

/// To the old address, once the account has a new one.
pub fn email_changed(to: &str, lang: Lang, new_address: &str, desk: &Helpdesk) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Alamat e-mail akun OSS diganti",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Alamat e-mail akun OSS Anda telah diganti. E-mail berikutnya dikirim ke alamat baru.".into(),
                "Jika bukan Anda yang menggantinya, segera hubungi Layanan OSS.".into(),
            ],
            action: None,
            facts: vec![("Alamat baru", new_address.into())],
        },
        Lang::En => Letter {
            subject: "Your OSS e-mail address was changed",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "The e-mail address of your OSS account was changed. Further e-mails go to the new address.".into(),
                "If you did not change it, contact the OSS helpdesk at once.".into(),
            ],
            action: None,
            facts: vec![("New address", new_address.into())],
        },
    };
    compose(to, lang, letter, desk)
}

/// To the owner of an account that repeated failed logins locked for new devices: a link that
/// lets the device it is opened on log in (with the password) while the lock lasts.
pub fn unlock_device(to: &str, lang: Lang, link: &str, minutes: u64, desk: &Helpdesk) -> NewMail {
    let letter = match lang {
        Lang::Id => Letter {
            subject: "Login ke akun OSS Anda dikunci sementara",
            greeting: "Yth. Pengguna OSS,",
            paragraphs: vec![
                "Terlalu banyak percobaan masuk yang gagal ke akun Anda, sehingga login dari perangkat baru dikunci sementara. Perangkat yang pernah Anda pakai untuk masuk tetap dapat masuk.".into(),
                format!("Jika yang mencoba adalah Anda, buka tautan di bawah ini di perangkat yang ingin Anda pakai: perangkat itu dapat masuk lagi dengan password Anda. Tautan ini hanya dapat dipakai sekali dan berlaku {minutes} menit."),
                "Jika bukan Anda, tidak ada yang perlu dilakukan; password Anda tetap aman selama tidak diketahui orang lain. Sebaiknya ganti password bila ragu.".into(),
            ],
            action: Some(("Buka kunci perangkat ini", link.into())),
            facts: vec![],
        },
        Lang::En => Letter {
            subject: "Logins to your OSS account are locked for a while",
            greeting: "Dear OSS user,",
            paragraphs: vec![
                "Too many failed logins to your account have locked it for new devices for a while. Devices you logged in with before can still log in.".into(),
                format!("If it was you, open the link below on the device you want to use: it can log in again with your password. The link works once and for {minutes} minutes."),
                "If it was not you, there is nothing to do; your password is safe as long as nobody else knows it. Change it if in doubt.".into(),
            ],
            action: Some(("Unlock this device", link.into())),
            facts: vec![],
        },
    };
    compose(to, lang, letter, desk)
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

    #[test]
    fn every_message_in_both_languages_with_text_and_html() {
        for lang in [Lang::Id, Lang::En] {
            let link = "https://sso.example.id/activate?token=abc";
            for mail in [
                activation("a@example.id", lang, link, 24, &desk()),
                credentials(
                    "a@example.id",
                    lang,
                    "budi.s4",
                    "kuda-laut-biru",
                    link,
                    72,
                    &desk(),
                ),
                already_registered("a@example.id", lang, link, &desk()),
                reset("a@example.id", lang, "budi.s4", link, 60, &desk()),
                confirm_email("a@example.id", lang, link, &desk()),
                unlock_device("a@example.id", lang, link, 30, &desk()),
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
            }
        }
        let id = activation("a@example.id", Lang::Id, "x", 24, &desk());
        let en = activation("a@example.id", Lang::En, "x", 24, &desk());
        assert_ne!(id.subject, en.subject);
        let sent = credentials(
            "a@example.id",
            Lang::En,
            "budi.s4",
            "p<&>w",
            "x",
            72,
            &desk(),
        );
        assert!(sent.text.contains("User name: budi.s4") && sent.text.contains("Password: p<&>w"));
        assert!(
            sent.html.unwrap().contains("p&lt;&amp;&gt;w"),
            "escaped in HTML"
        );
    }
}
