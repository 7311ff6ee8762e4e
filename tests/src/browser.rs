//! A browser-like client for the provider's pages: a cookie jar, no automatic redirects, and
//! the form-filling a person does (the captcha answered with the configured test answer).

use reqwest::Client;

/// A PKCE verifier and its S256 challenge (RFC 7636, appendix B).
pub const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The test-mode captcha answer every test configuration sets.
pub const CAPTCHA_TEST_ANSWER: &str = "uji";

/// The `value` of the hidden input `name` in `html`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")?
        .to_str()
        .ok()
        .map(str::to_string)
}

/// Follows redirects on the provider's host until the login page, logs in, and returns the
/// `Location` the provider finally sends the browser to (the client's redirect URI with a code).
pub async fn log_in(
    browser: &Client,
    start: &str,
    provider_origin: &str,
    username: &str,
    password: &str,
) -> String {
    let mut url = start.to_string();
    let mut page = String::new();
    for _ in 0..5 {
        let response = browser
            .get(&url)
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        match location(&response) {
            Some(next) if !next.starts_with(provider_origin) && next.starts_with("http") => {
                return next
            }
            Some(next) => {
                url = if next.starts_with('/') {
                    format!("{provider_origin}{next}")
                } else {
                    next
                }
            }
            None => {
                let status = response.status();
                page = response.text().await.expect("login page");
                assert!(
                    status.is_success() || hidden_field(&page, "captcha_token").is_some(),
                    "no login page but {status}: {page}"
                );
                break;
            }
        }
    }
    let response = fill_in(browser, provider_origin, &page, username, password, None).await;
    let status = response.status();
    match location(&response) {
        Some(next) => next,
        None => panic!(
            "login did not redirect ({status}): {}",
            response.text().await.unwrap_or_default()
        ),
    }
}

/// GETs `url` as a browser navigation and follows redirects, on any host, until a response
/// that is not a redirect (at most six hops).
pub async fn follow(browser: &Client, url: &str) -> reqwest::Response {
    let mut url = url.to_string();
    for _ in 0..6 {
        let response = browser
            .get(&url)
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        let Some(next) = location(&response) else {
            return response;
        };
        url = match url::Url::parse(&url).and_then(|base| base.join(&next)) {
            Ok(joined) => joined.to_string(),
            Err(_) => next,
        };
    }
    panic!("too many redirects from {url}");
}

/// Opens the login page and submits it, as a person coming from `address` (the client the
/// gateway's trusted proxy reports) would: the login with no client waiting for it.
pub async fn submit_login(
    browser: &Client,
    provider_origin: &str,
    username: &str,
    password: &str,
    address: Option<&str>,
) -> reqwest::Response {
    let mut get = browser.get(format!("{provider_origin}/login"));
    if let Some(a) = address {
        get = get.header("x-forwarded-for", a);
    }
    let shown = get.send().await.expect("GET /login");
    if shown.status() != reqwest::StatusCode::OK {
        // Refused before any form (e.g. the address's challenge limit): that is the answer.
        return shown;
    }
    let page = shown.text().await.expect("login page");
    fill_in(browser, provider_origin, &page, username, password, address).await
}

/// Posts the login form of `page` with these credentials and the test-mode captcha answer.
pub async fn fill_in(
    browser: &Client,
    provider_origin: &str,
    page: &str,
    username: &str,
    password: &str,
    address: Option<&str>,
) -> reqwest::Response {
    let request = hidden_field(page, "request").unwrap_or_default();
    let captcha_token = hidden_field(page, "captcha_token").expect("a captcha on the login page");
    let mut post = browser.post(format!("{provider_origin}/login")).form(&[
        ("request", request.as_str()),
        ("captcha_token", captcha_token.as_str()),
        ("captcha", CAPTCHA_TEST_ANSWER),
        ("username", username),
        ("password", password),
        ("ui_locales", "id"),
    ]);
    if let Some(a) = address {
        post = post.header("x-forwarded-for", a);
    }
    post.send().await.expect("POST /login")
}

/// GETs `url` and reads its JSON body, which must come with a 200.
/// The page at `url` (200 expected).
pub async fn get_text(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.expect("a page")
}

pub async fn get_json(client: &Client, url: &str) -> serde_json::Value {
    let response = client.get(url).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("a JSON body")
}

/// Logs in at the provider from `start` (a protected app URL) and follows the callback:
/// returns the response that sets the gateway session.
pub async fn log_in_to_app(
    browser: &Client,
    start: &str,
    provider_origin: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let callback = log_in(browser, start, provider_origin, username, password).await;
    browser.get(&callback).send().await.expect("the callback")
}

/// The `name=value` pairs `response` sets, as a `Cookie` header would carry them back.
pub fn cookies_set_by(response: &reqwest::Response) -> String {
    let pairs: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next())
        .collect();
    pairs.join("; ")
}

/// A confidential client redeeming codes with PKCE: what its token requests carry.
pub struct CodeClient<'a> {
    pub token_url: &'a str,
    pub id: &'a str,
    pub secret: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
}

impl CodeClient<'_> {
    /// The tokens for the code in the provider's `answer` (a redirect back to the client).
    pub async fn redeem(&self, http: &Client, answer: &reqwest::Response) -> serde_json::Value {
        let back = location(answer).expect("a redirect back to the client");
        self.redeem_at(http, &back).await
    }

    /// The tokens for the code in `back`, the client's redirect URI the browser came back to.
    pub async fn redeem_at(&self, http: &Client, back: &str) -> serde_json::Value {
        let code = url::Url::parse(back)
            .expect("a URL")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("a code in {back}"));
        http.post(self.token_url)
            .basic_auth(self.id, Some(self.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", self.redirect_uri),
                ("code_verifier", self.verifier),
            ])
            .send()
            .await
            .expect("POST /token")
            .json()
            .await
            .expect("a token response")
    }
}

/// An access token from the client credentials grant at `token_url`.
pub async fn client_credentials(http: &Client, token_url: &str, id: &str, secret: &str) -> String {
    let body: serde_json::Value = http
        .post(token_url)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("POST /token")
        .json()
        .await
        .expect("a token response");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}
