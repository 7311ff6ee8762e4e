//! An authenticator app, as a test holds one: the key read from the set-up page, as a person
//! types it into an app, and the codes it shows (RFC 6238).

use std::time::{SystemTime, UNIX_EPOCH};

use gerbang_idp::mfa::totp;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The key the set-up page shows, in groups of four, as the secret it stands for.
pub fn shown_secret(page: &str) -> Vec<u8> {
    let marker = "<code class=\"key\" translate=\"no\">";
    let start = page.find(marker).expect("the key on the page") + marker.len();
    let end = page[start..].find("</code>").expect("the key's end") + start;
    let key: String = page[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(key.as_bytes())
        .expect("a base32 key")
}

/// The code an app with `secret` shows now.
pub fn code_now(secret: &[u8]) -> String {
    code_in(secret, 0)
}

/// The code an app with `secret` shows `steps` steps from now (the window takes one either
/// side, so a test need not wait for the next step to use a new code).
pub fn code_in(secret: &[u8], steps: i64) -> String {
    let step = totp::step_at(now()).saturating_add_signed(steps);
    format!("{:06}", totp::code(secret, step, 6))
}

/// A six-digit code that is not `right`.
pub fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// On the set-up `page` an app's request led to, sets up an app (the code computed from the
/// key the page shows): the recovery codes page, and where going on from it sends the browser.
pub async fn set_up_on_the_way(
    browser: &reqwest::Client,
    issuer: &str,
    page: &str,
) -> (String, Option<String>) {
    use crate::browser::{hidden_field, location};
    let secret = shown_secret(page);
    let request = hidden_field(page, "request").expect("the app's request, carried");
    let enrolment = hidden_field(page, "enrolment").expect("the enrolment");
    let codes_page = browser
        .post(format!("{issuer}/account/second-factor"))
        .form(&[
            ("enrolment", enrolment.as_str()),
            ("code", &code_in(&secret, -1)),
            ("name", "Ponsel"),
            ("request", &request),
        ])
        .send()
        .await
        .expect("POST the code")
        .text()
        .await
        .expect("the recovery codes page");
    let carried = hidden_field(&codes_page, "request").expect("the request, still carried");
    let resumed = browser
        .post(format!("{issuer}/authorize/resume"))
        .form(&[("request", carried)])
        .send()
        .await
        .expect("POST /authorize/resume");
    (codes_page, location(&resumed))
}

/// Sets up an authenticator app ("Ponsel kantor") from Beranda in `browser`'s session (which
/// then has two factors): its secret.
pub async fn set_up_from_beranda(browser: &reqwest::Client, issuer: &str) -> Vec<u8> {
    use crate::browser::hidden_field;
    let page = browser
        .get(format!("{issuer}/account/second-factor"))
        .send()
        .await
        .expect("the set-up page")
        .text()
        .await
        .expect("its text");
    let secret = shown_secret(&page);
    let enrolment = hidden_field(&page, "enrolment").expect("the enrolment");
    let answer = browser
        .post(format!("{issuer}/account/second-factor"))
        .form(&[
            ("enrolment", enrolment.as_str()),
            ("code", &code_in(&secret, -1)),
            ("name", "Ponsel kantor"),
        ])
        .send()
        .await
        .expect("POST the code");
    assert_eq!(answer.status(), 200, "the recovery codes");
    secret
}
