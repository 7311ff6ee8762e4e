//! Registration and e-mail activation (OSS guide 1.1–1.2) against the running binary, with
//! mail delivered over SMTP to a real server on loopback (aiosmtpd).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::smtp::{self, Received, SmtpServer};
use gerbang_tests::{Gerbang, Spec};

const MAIL_WAIT: Duration = Duration::from_secs(15);

/// A running Gerbang that mails through `smtp`, and a browser for its pages.
struct Site {
    gw: Gerbang,
    smtp: SmtpServer,
    browser: reqwest::Client,
    issuer: String,
}

impl Site {
    async fn start() -> Site {
        let smtp = SmtpServer::start().await;
        let gw = Gerbang::start(Spec {
            https: true,
            http: false,
            mail: Some(smtp.mail_config()),
            extra: format!(
                "[captcha]\ntest_answer = \"{}\"\n\n[helpdesk]\nphones = [\"08071002576\"]\nemails = [\"helpdesk.oss@bkpm.go.id\"]\n",
                browser::CAPTCHA_TEST_ANSWER
            ),
            ..Spec::http("")
        })
        .await;
        let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
        Site {
            browser: gw.client(&[Gerbang::PROVIDER_HOST]),
            gw,
            smtp,
            issuer,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.browser
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .unwrap()
    }

    /// Opens the form page at `path` and posts `fields` back to it with the page's captcha
    /// token and `answer`.
    async fn submit(&self, path: &str, answer: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let page = self.get(path).await.text().await.unwrap();
        let token = hidden_field(&page, "captcha_token").unwrap();
        let mut form: Vec<(&str, &str)> =
            vec![("captcha_token", token.as_str()), ("captcha", answer)];
        form.extend_from_slice(fields);
        let action = path.split('?').next().unwrap();
        let response = self
            .browser
            .post(format!("{}{action}", self.issuer))
            .form(&form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Opens the registration page and submits `fields` with the test captcha answer.
    async fn register(&self, fields: &[(&str, &str)]) -> (u16, String) {
        self.submit("/register", browser::CAPTCHA_TEST_ANSWER, fields)
            .await
    }

    /// Follows the activation link of `mail` and presses its button.
    async fn activate(&self, mail: &Received) -> reqwest::Response {
        let link = smtp::link(&mail.text, "/activate?token=").expect("an activation link");
        assert!(
            link.starts_with(&self.issuer),
            "links are made from the issuer: {link}"
        );
        let page = self
            .browser
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = hidden_field(&page, "token").unwrap();
        self.browser
            .post(format!("{}/activate", self.issuer))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap()
    }

    /// Registers, activates, and returns the user name and temporary password of the second
    /// e-mail.
    async fn enrol(&self, fields: &[(&str, &str)], email: &str) -> (String, String) {
        let (status, page) = self.register(fields).await;
        assert_eq!(status, 200);
        assert!(page.contains("Periksa e-mail Anda"), "{page}");
        let first = self.smtp.wait_for(email, 1, MAIL_WAIT).await;
        assert_eq!(first[0].subject, "Aktivasi akun OSS");
        let activated = self.activate(&first[0]).await;
        assert_eq!(activated.status(), 200);
        assert!(activated
            .text()
            .await
            .unwrap()
            .contains("Akun Anda sudah aktif"));
        let mails = self.smtp.wait_for(email, 2, MAIL_WAIT).await;
        let second = mails
            .iter()
            .find(|m| m.subject == "User dan Password akun OSS")
            .expect("the second e-mail");
        assert!(second.html.contains("<code>"), "an HTML part too");
        (
            smtp::labelled(&second.text, "User").unwrap(),
            smtp::labelled(&second.text, "Password").unwrap(),
        )
    }

    /// Logs in on the provider's own login page (no client waiting).
    async fn log_in(&self, username: &str, password: &str) -> reqwest::Response {
        browser::submit_login(&self.browser, &self.issuer, username, password, None).await
    }

    /// Posts the new-password form of `page`.
    async fn new_password(&self, page: &str, password: &str, confirm: &str) -> reqwest::Response {
        let ticket = hidden_field(page, "ticket").expect("the new-password form");
        self.browser
            .post(format!("{}/password/new", self.issuer))
            .form(&[
                ("ticket", ticket.as_str()),
                ("password", password),
                ("confirm", confirm),
            ])
            .send()
            .await
            .unwrap()
    }
}

fn ktp(email: &str, nik: &str) -> Vec<(&'static str, String)> {
    vec![
        ("identity_type", "ktp".into()),
        ("nik", nik.into()),
        ("country", "ID".into()),
        ("birth_date", "12-08-1985".into()),
        ("phone", "8123456789".into()),
        ("email", email.into()),
        ("terms", "on".into()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Register with a KTP → activation mail over SMTP → link → second mail with user name and
/// temporary password → first login asks for a new password (policy enforced) → logged in.
#[tokio::test]
async fn ktp_registration_activation_and_first_login() {
    let site = Site::start().await;
    let fields = ktp("Budi.Santoso@Example.ID", "3174051208850001");
    let (username, temporary) = site
        .enrol(&borrowed(&fields), "budi.santoso@example.id")
        .await;
    assert!(username.starts_with("budisant"), "{username}");
    assert_eq!(temporary.len(), 16);

    // The temporary password leads to the new-password form, not to a session.
    let asked = site.log_in(&username, &temporary).await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(page.contains("Buat password baru"), "{page}");
    assert!(
        site.get("/").await.headers().get("location").is_some(),
        "no session yet"
    );

    // The policy, each refusal on a fresh form.
    let differ = site
        .new_password(&page, "kuda laut biru", "kuda laut hijau")
        .await;
    let page = differ.text().await.unwrap();
    assert!(page.contains("Kedua password tidak sama."));
    let common = site.new_password(&page, "password123", "password123").await;
    let page = common.text().await.unwrap();
    assert!(page.contains("terlalu umum"));
    let same = site.new_password(&page, &temporary, &temporary).await;
    let page = same.text().await.unwrap();
    assert!(page.contains("tidak boleh sama"));

    // A good one: a session, and the home page knows the user.
    let done = site
        .new_password(&page, "kuda laut biru", "kuda laut biru")
        .await;
    assert_eq!(done.status(), 302);
    assert!(done
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("__Host-gerbang-sso=")));
    let home = site.get("/").await.text().await.unwrap();
    assert!(home.contains(&username), "{home}");

    // The ticket was single use; the temporary password is gone; the new one works.
    let replay = site
        .new_password(&page, "kuda laut biru", "kuda laut biru")
        .await;
    assert_eq!(replay.status(), 410);
    let old = site
        .log_in(&username, &temporary)
        .await
        .text()
        .await
        .unwrap();
    assert!(old.contains("User name atau password salah."));
    let again = site.log_in(&username, "kuda laut biru").await;
    assert_eq!(location(&again).as_deref(), Some("/"));
}

/// The same with a passport, in English.
#[tokio::test]
async fn passport_registration_in_english() {
    let site = Site::start().await;
    let fields = [
        ("identity_type", "passport"),
        ("passport_number", "a1234567"),
        ("passport_country", "MY"),
        ("passport_issued", "01-02-2022"),
        ("passport_expires", "01-02-2032"),
        ("passport_office", "Kuala Lumpur"),
        ("sex", "female"),
        ("nationality", "MY"),
        ("birth_place", "Johor Bahru"),
        ("birth_date", "04-03-1990"),
        ("country", "MY"),
        ("phone", "123456789"),
        ("email", "siti@example.my"),
        ("terms", "on"),
        ("ui_locales", "en"),
    ];
    let (status, page) = site.register(&fields).await;
    assert_eq!(status, 200);
    assert!(page.contains("Check your e-mail"), "{page}");
    let first = site.smtp.wait_for("siti@example.my", 1, MAIL_WAIT).await;
    assert_eq!(first[0].subject, "Activate your OSS account");
    assert!(site.activate(&first[0]).await.status().is_success());
    let mails = site.smtp.wait_for("siti@example.my", 2, MAIL_WAIT).await;
    let second = mails
        .iter()
        .find(|m| m.subject == "Your OSS user name and password")
        .unwrap();
    let username = smtp::labelled(&second.text, "User name").unwrap();
    let password = smtp::labelled(&second.text, "Password").unwrap();
    let page = site
        .log_in(&username, &password)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Buat password baru") || page.contains("Choose a new password"));
}

/// A bad form comes back with each error beside its field, announced, and what was typed kept
/// (never the captcha answer); in English on request.
#[tokio::test]
async fn a_bad_form_keeps_what_was_typed() {
    let site = Site::start().await;
    let mut fields = ktp("budi@example.id", "3174051208850009");
    fields[3].1 = "13-08-1985".into(); // the NIK says the 12th
    fields[4].1 = "08123456789".into(); // a leading 0
    let (status, page) = site.register(&borrowed(&fields)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("NIK tidak sesuai dengan Tanggal Lahir."),
        "{page}"
    );
    assert!(page.contains("Tulis nomor tanpa 0 di depan"));
    assert!(page.contains("aria-describedby=\"nik-error\""));
    assert!(page.contains("aria-invalid=\"true\""));
    for kept in [
        "3174051208850009",
        "13-08-1985",
        "08123456789",
        "budi@example.id",
    ] {
        assert!(page.contains(&format!("value=\"{kept}\"")), "{kept} kept");
    }
    assert!(
        !page.contains("value=\"uji\""),
        "the captcha answer is not kept"
    );
    assert!(site.smtp.messages().is_empty(), "nothing was sent");

    // English, and a wrong captcha beside the captcha field.
    let (_, english) = site
        .submit(
            "/register?ui_locales=en",
            "wrong",
            &[
                ("ui_locales", "en"),
                ("identity_type", "ktp"),
                ("email", "budi@"),
            ],
        )
        .await;
    assert!(english.contains("lang=\"en\""));
    assert!(english.contains("The captcha is wrong or expired."));
    assert!(english.contains("Not a valid e-mail address"));
    assert!(english.contains("Tick this box to continue."));
}

/// A second registration with the same address (or NIK) makes no account and answers with the
/// same page; the owner is told by e-mail.
#[tokio::test]
async fn registering_twice_reveals_nothing_and_tells_the_owner() {
    let site = Site::start().await;
    let first = ktp("ani@example.id", "3174055208850002");
    let (_, first_page) = site.register(&borrowed(&first)).await;
    site.smtp.wait_for("ani@example.id", 1, MAIL_WAIT).await;
    // Same address, another NIK; then same NIK, another address.
    let again = ktp("ani@example.id", "3174051208850001");
    let (status, page) = site.register(&borrowed(&again)).await;
    assert_eq!((status, page.as_str()), (200, first_page.as_str()));
    let same_nik = ktp("other@example.id", "3174055208850002");
    let (status, page) = site.register(&borrowed(&same_nik)).await;
    assert_eq!((status, page.as_str()), (200, first_page.as_str()));
    site.smtp.wait_for("ani@example.id", 2, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails: Vec<Received> = site
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.contains("ani@example.id"))
        .collect();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| **s == "Aktivasi akun OSS")
            .count(),
        1,
        "{subjects:?}"
    );
    assert_eq!(
        subjects
            .iter()
            .filter(|s| **s == "Pendaftaran akun OSS")
            .count(),
        1,
        "one notice, not one per attempt: {subjects:?}"
    );
    assert!(
        site.smtp
            .messages()
            .iter()
            .all(|m| !m.to.contains("other@example.id")),
        "nothing to the address that collided on the NIK"
    );
}

/// Activation links are single use; asking for a new one voids the old.
#[tokio::test]
async fn activation_links_are_single_use_and_resend_voids_the_old() {
    let site = Site::start().await;
    let fields = ktp("dewi@example.id", "3578017112990004");
    let mut fields = fields;
    fields[3].1 = "31-12-1999".into();
    site.register(&borrowed(&fields)).await;
    let first = site.smtp.wait_for("dewi@example.id", 1, MAIL_WAIT).await;

    // Ask for a new link: the same answer as for an unknown address.
    let resend = |email: &'static str| {
        let site = &site;
        async move {
            site.submit(
                "/activate/resend",
                browser::CAPTCHA_TEST_ANSWER,
                &[("email", email)],
            )
            .await
            .1
        }
    };
    let known = resend("dewi@example.id").await;
    let unknown = resend("nobody@example.id").await;
    assert_eq!(known, unknown);
    let mails = site.smtp.wait_for("dewi@example.id", 2, MAIL_WAIT).await;
    let newer = mails
        .iter()
        .find(|m| m.message_id != first[0].message_id)
        .unwrap();

    let voided = site.activate(&first[0]).await;
    assert_eq!(voided.status(), 410);
    assert!(voided
        .text()
        .await
        .unwrap()
        .contains("Tautan tidak berlaku"));
    assert_eq!(site.activate(newer).await.status(), 200);
    assert_eq!(site.activate(newer).await.status(), 410, "single use");
    let _ = &site.gw;
}
