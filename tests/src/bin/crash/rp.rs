//! What the relying party `rp` does against a server that may die at any moment: every call
//! answers `None` when no answer came, so a scenario can count it as unknown.

use std::time::Duration;

use gerbang_tests::browser;
use gerbang_tests::op::{encode, query, PASSWORD, RP, RP_REDIRECT, RP_SECRET, USER};
use serde_json::Value;

/// A token request as `rp`; `None` when no answer came.
pub async fn token(
    http: &reqwest::Client,
    issuer: &str,
    form: &[(&str, &str)],
) -> Option<(u16, Value)> {
    let response = http
        .post(format!("{issuer}/token"))
        .basic_auth(RP, Some(RP_SECRET))
        .form(form)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

/// The token response of a code-flow login in `browser` (its session if it has one, the login
/// form otherwise); `None` when the server did not answer along the way.
pub async fn log_in(
    browser: &reqwest::Client,
    http: &reqwest::Client,
    issuer: &str,
) -> Option<Value> {
    let url = format!(
        "{issuer}/authorize?client_id={RP}&response_type=code&state=s&scope=openid&redirect_uri={}",
        encode(RP_REDIRECT)
    );
    // With the browser's session, the provider answers at once with a code.
    let first = browser.get(&url).send().await.ok()?;
    let back = match browser::location(&first) {
        Some(back) if back.starts_with(RP_REDIRECT) => back,
        _ => {
            let (browser, origin) = (browser.clone(), issuer.to_string());
            // The login helper expects a server that answers: a kill mid-login is its panic,
            // caught here.
            tokio::spawn(
                async move { browser::log_in(&browser, &url, &origin, USER, PASSWORD).await },
            )
            .await
            .ok()?
        }
    };
    let code = query(&back).remove("code")?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_REDIRECT),
    ];
    match token(http, issuer, &form).await? {
        (200, body) => Some(body),
        _ => None,
    }
}

/// The refresh token of a token response.
pub fn refresh_token(body: Value) -> Option<String> {
    body["refresh_token"].as_str().map(str::to_string)
}

/// The status of a refresh with `refresh_token`; `None` when no answer came.
pub async fn refresh_status(
    http: &reqwest::Client,
    issuer: &str,
    refresh_token: &str,
) -> Option<u16> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token(http, issuer, &form).await.map(|(status, _)| status)
}
