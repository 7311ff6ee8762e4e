//! A running Gerbang that sends mail to a real SMTP server (aiosmtpd), with a browser for the
//! provider's account pages: what the registration and account tests share.

use std::time::Duration;

use crate::browser::{self, hidden_field};
use crate::smtp::{self, Received, SmtpServer};
use crate::{Gerbang, Spec};

pub const MAIL_WAIT: Duration = Duration::from_secs(15);

/// A running Gerbang that mails through `smtp`, and a browser for its pages.
pub struct Site {
    pub gw: Gerbang,
    pub smtp: SmtpServer,
    pub browser: reqwest::Client,
    pub issuer: String,
}

/// The site's one app, "Perizinan Berusaha" on `perizinan.test`; its upstream (the discard
/// port) does not answer.
pub const APP_ROUTE: &str = "[[route]]\nname = \"perizinan\"\ntitle = \"Perizinan Berusaha\"\nhost = \"perizinan.test\"\nupstreams = [\"127.0.0.1:9\"]\npolicy = \"authenticated\"\n";

/// The site's `[ui]`: OSS, as the guide's pages and mails name it.
pub const SITE_UI: &str = "[ui]\nproduct_name = \"OSS\"\n";

impl Site {
    pub async fn start() -> Site {
        Self::with_users(Vec::new()).await
    }

    /// With accounts made by `gerbang users add` (e-mail `<name>@example.test`).
    pub async fn with_users(users: Vec<(String, String)>) -> Site {
        Self::build(APP_ROUTE.into(), users).await
    }

    /// With these `[[route]]` tables and accounts.
    pub async fn build(routes: String, users: Vec<(String, String)>) -> Site {
        let smtp = SmtpServer::start().await;
        let gw = Gerbang::start(Self::spec(&smtp, routes, users)).await;
        Self::around(gw, smtp)
    }

    /// What a site runs: HTTPS, mail to `smtp`, the test captcha answer, generous limits.
    pub fn spec(smtp: &SmtpServer, routes: String, users: Vec<(String, String)>) -> Spec {
        Spec {
            https: true,
            http: false,
            mail: Some(smtp.mail_config()),
            users,
            extra: format!(
                "[login]\nattempts_per_address_per_minute = 1000\n\n[captcha]\ntest_answer = \"{}\"\n\n[helpdesk]\nphones = [\"08071002576\"]\nemails = [\"helpdesk.oss@bkpm.go.id\"]\n\n{SITE_UI}",
                browser::CAPTCHA_TEST_ANSWER
            ),
            ..Spec::http(routes)
        }
    }

    /// The site of a started `gw`, its browser going straight to it.
    pub fn around(gw: Gerbang, smtp: SmtpServer) -> Site {
        let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
        Site {
            browser: gw.client(&[Gerbang::PROVIDER_HOST]),
            gw,
            smtp,
            issuer,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .unwrap()
    }

    /// Opens the form page at `path` and posts `fields` back to it with the page's captcha
    /// token and `answer`.
    pub async fn submit(&self, path: &str, answer: &str, fields: &[(&str, &str)]) -> (u16, String) {
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

    /// Asks the address form at `path` (a new activation link, a password reset) for `who`.
    pub async fn ask(&self, path: &str, who: &str) -> (u16, String) {
        self.submit(path, browser::CAPTCHA_TEST_ANSWER, &[("email", who)])
            .await
    }

    /// Opens the registration page and submits `fields` with the test captcha answer.
    pub async fn register(&self, fields: &[(&str, &str)]) -> (u16, String) {
        self.submit("/register", browser::CAPTCHA_TEST_ANSWER, fields)
            .await
    }

    /// Follows the activation link of `mail` and presses its button.
    pub async fn activate(&self, mail: &Received) -> reqwest::Response {
        let link = smtp::link(&mail.text, "/activate?token=").expect("an activation link");
        assert!(
            link.starts_with(&self.issuer),
            "links are made from the issuer: {link}"
        );
        let opened = self.browser.get(&link).send().await.unwrap();
        if opened.status() == reqwest::StatusCode::GONE {
            // Used or expired: said on the page the link opens.
            return opened;
        }
        let page = opened.text().await.unwrap();
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
    pub async fn enrol(&self, fields: &[(&str, &str)], email: &str) -> (String, String) {
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
            .find(|m| m.subject == "Username dan password akun OSS")
            .expect("the second e-mail");
        assert!(second.html.contains("<code>"), "an HTML part too");
        (
            smtp::labelled(&second.text, "Username").unwrap(),
            smtp::labelled(&second.text, "Password").unwrap(),
        )
    }

    /// Logs in on the provider's own login page (no client waiting).
    pub async fn log_in(&self, username: &str, password: &str) -> reqwest::Response {
        browser::submit_login(&self.browser, &self.issuer, username, password, None).await
    }

    /// Opens a mailed reset `link` and posts its form with `password` twice; the answer's page.
    pub async fn reset_password(&self, link: &str, password: &str) -> String {
        let form = self.browser.get(link).send().await.unwrap();
        let token = hidden_field(&form.text().await.unwrap(), "token").expect("the reset form");
        self.browser
            .post(format!("{}/password/reset", self.issuer))
            .form(&[
                ("token", token.as_str()),
                ("password", password),
                ("confirm", password),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Posts the new-password form of `page`.
    pub async fn new_password(
        &self,
        page: &str,
        password: &str,
        confirm: &str,
    ) -> reqwest::Response {
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

pub fn ktp(email: &str, nik: &str) -> Vec<(&'static str, String)> {
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

pub fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A valid NIK (born 12-08-1985, a man) with serial `n`.
pub fn nik(n: usize) -> String {
    format!("317405120885{:04}", n + 1)
}

/// An answer with the address it names (the "sent to" line of a notice) blanked: the answers
/// for an address that has an account and one that has none must differ only there.
pub fn address_blanked((status, page): &(u16, String)) -> (u16, String) {
    let blanked = match (page.find("<strong>"), page.find("</strong>")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}<strong>…{}", &page[..start], &page[end..])
        }
        _ => page.clone(),
    };
    (*status, blanked)
}

/// The route on `dinas.test` to `app` that only members of `group` may open.
pub fn group_route(app: &crate::App, group: &str) -> String {
    format!(
        "[[route]]\nname = \"dinas\"\nhost = \"dinas.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n\n[[route.rule]]\neffect = \"allow\"\ngroups = [\"{group}\"]\n",
        app.addr
    )
}

/// Someone logged in at the route of [`group_route`], through the gateway.
pub struct AtGroupRoute {
    browser: reqwest::Client,
    url: String,
}

impl AtGroupRoute {
    pub async fn log_in(site: &Site, user: &str, password: &str) -> AtGroupRoute {
        let browser = site.gw.client(&["dinas.test", Gerbang::PROVIDER_HOST]);
        let url = site.gw.url("dinas.test", "/");
        let callback = browser::log_in(&browser, &url, &site.issuer, user, password).await;
        browser.get(&callback).send().await.unwrap();
        AtGroupRoute { browser, url }
    }

    /// What the route answers them now.
    pub async fn status(&self) -> u16 {
        browser::follow(&self.browser, &self.url)
            .await
            .status()
            .as_u16()
    }

    /// What the route answers them a second after `changed` (a grant or a revocation).
    pub async fn status_a_second_after(&self, changed: std::time::Instant) -> u16 {
        tokio::time::sleep_until((changed + Duration::from_secs(1)).into()).await;
        self.status().await
    }
}
