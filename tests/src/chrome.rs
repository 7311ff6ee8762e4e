//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, which
//! `scripts/setup` installs), for the journeys a person makes through the pages, with axe-core
//! (installed by `scripts/setup` under `target/axe`) checking each page's accessibility.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub struct Chrome {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// An accessibility rule a page breaks, as axe-core reports it.
#[derive(Debug)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

impl Chrome {
    /// A fresh browser (its own profile) with a `width` × `height` window whose person reads
    /// `language` (e.g. `id-ID`), resolving every `*.test` host to loopback and accepting the
    /// test's development certificate.
    pub async fn start(width: u32, height: u32, language: &str) -> Chrome {
        let port = crate::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/setup installs chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-sync".into(),
            "--ignore-certificate-errors".into(),
            "--host-resolver-rules=MAP *.test 127.0.0.1".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}"),
            format!("--lang={language}"),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": { "intl.accept_languages": language },
            }),
        );
        capabilities.insert("acceptInsecureCerts".into(), json!(true));
        // Several crypto back-ends are linked into the tests; WebDriver talk uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        client
            .set_window_size(width, height)
            .await
            .expect("window size");
        Chrome {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// Waits (up to 10 s) until the page's source contains one of `texts`; returns the source.
    pub async fn wait_for_any(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let source = self.source().await;
            if texts.iter().any(|t| source.contains(t)) {
                return source;
            }
            assert!(
                Instant::now() < deadline,
                "none of {texts:?} on {}:\n{source}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's source contains `text` (pages load after a click).
    pub async fn wait_for(&self, text: &str) -> String {
        self.wait_for_any(&[text]).await
    }

    /// Types `text` into the field with id `id`, replacing what is there.
    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.by_id(id).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn by_id(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no #{id}: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    pub async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    pub async fn select(&self, id: &str, value: &str) {
        self.by_id(id)
            .await
            .select_by_value(value)
            .await
            .expect("select");
    }

    /// Whether the element with id `id` is shown (laid out and visible).
    pub async fn visible(&self, id: &str) -> bool {
        self.by_id(id)
            .await
            .is_displayed()
            .await
            .expect("displayed")
    }

    /// The value of the input with id `id`.
    pub async fn value(&self, id: &str) -> String {
        self.prop(id, "value").await
    }

    /// Fills the login form on the page shown (once it is there) with `username`, `password`
    /// and the test captcha answer, and submits it.
    pub async fn log_in(&self, username: &str, password: &str) {
        self.wait_for("name=\"captcha\"").await;
        self.type_into("username", username).await;
        self.type_into("password", password).await;
        self.type_into("captcha", crate::browser::CAPTCHA_TEST_ANSWER)
            .await;
        self.click("button[type=submit]:not([name])").await;
    }

    /// The id of the element that has the focus (empty when it has none).
    pub async fn focused_id(&self) -> String {
        let focused = self
            .client
            .active_element()
            .await
            .expect("the focused element");
        focused
            .attr("id")
            .await
            .expect("its id")
            .unwrap_or_default()
    }

    /// The DOM property `name` of the element with id `id` (empty when it has none).
    pub async fn prop(&self, id: &str, name: &str) -> String {
        self.by_id(id)
            .await
            .prop(name)
            .await
            .expect("a property")
            .unwrap_or_default()
    }

    /// Saves a screenshot as `<dir>/<name>.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        std::fs::create_dir_all(dir).expect("screenshot folder");
        let png = self.client.screenshot().await.expect("screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// What a person cannot see for its layout: a picture that did not load, a box that holds
    /// only a few characters per line, or a word broken across two lines. Each finding names
    /// the element and its text.
    pub async fn layout_problems(&self) -> Vec<String> {
        let found = self
            .client
            .execute_async(LAYOUT_CHECK, vec![])
            .await
            .expect("run the layout check");
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    }

    /// Runs axe-core on the page with the WCAG 2.0, 2.1 and 2.2 A and AA rules; returns every
    /// violation, whatever its impact.
    pub async fn violations(&self) -> Vec<Violation> {
        let axe =
            std::fs::read_to_string(axe_core()).expect("axe-core (scripts/setup installs it)");
        self.client
            .execute(&axe, vec![])
            .await
            .expect("inject axe-core");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] })\
                   .then(r => done(r.violations), e => done(String(e)));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let Value::Array(found) = result else {
            panic!("axe-core failed: {result}");
        };
        found
            .into_iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or("").into(),
                impact: v["impact"].as_str().unwrap_or("").into(),
                help: v["help"].as_str().unwrap_or("").into(),
                targets: v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| n["target"].to_string())
                    .collect(),
            })
            .collect()
    }

    /// Adds a virtual authenticator (WebDriver's WebAuthn extension, WebAuthn Level 3 section
    /// 11): a platform authenticator that keeps discoverable credentials and whose user
    /// verification (the PIN or fingerprint) always passes. Its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        let command = WebAuthn::post("webauthn/authenticator", options);
        let id = self.client.issue_cmd(command).await;
        id.expect("a virtual authenticator")
            .as_str()
            .expect("its id")
            .to_string()
    }

    /// The credentials the virtual authenticator `id` holds.
    pub async fn virtual_credentials(&self, id: &str) -> Vec<Value> {
        let path = format!("webauthn/authenticator/{id}/credentials");
        let held = self.client.issue_cmd(WebAuthn::get(path)).await;
        match held.expect("the authenticator's credentials") {
            Value::Array(credentials) => credentials,
            other => panic!("credentials: {other}"),
        }
    }

    /// Runs `script` in the page: for what a person does that typed keys cannot do the same way
    /// in every locale (picking a date in a date field).
    pub async fn run(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .expect("the script runs")
    }

    /// Forgets every cookie: the browser is logged out, its passkeys stay.
    pub async fn forget_cookies(&self) {
        self.client
            .delete_all_cookies()
            .await
            .expect("delete cookies");
    }

    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A WebDriver command of the WebAuthn extension, on the current session.
#[derive(Debug)]
struct WebAuthn {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebAuthn {
    fn post(path: &str, body: Value) -> WebAuthn {
        let (method, path, body) = (http::Method::POST, path.to_string(), Some(body));
        WebAuthn { method, path, body }
    }

    fn get(path: String) -> WebAuthn {
        let (method, body) = (http::Method::GET, None);
        WebAuthn { method, path, body }
    }
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthn {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Finds what a person cannot see for its layout: a picture that did not load, and text laid
/// out badly. Every visible text node is measured: its
/// box must hold at least four characters a line (of its own font size), and each of its
/// words must sit on one line (a range over the word has one box). Hidden elements, text
/// only for screen readers and the captcha's audio fallback are skipped.
const LAYOUT_CHECK: &str = r#"
const done = arguments[arguments.length - 1];
const found = [];
const loaded = [...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }));
Promise.all(loaded).then(() => {
for (const i of document.images) {
  if (i.getClientRects().length && !i.naturalWidth) found.push(`picture not shown: ${i.getAttribute('src')}`);
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.textContent;
  const box = node.parentElement;
  if (!text.trim() || !box || box.closest('audio, script, style, option, [hidden], .visually-hidden')) continue;
  if (box.getClientRects().length === 0) continue;
  const style = getComputedStyle(box);
  const em = parseFloat(style.fontSize);
  const block = box.closest('p, li, dd, dt, label, h1, h2, legend, button, a, span, div, strong') || box;
  const width = block.getBoundingClientRect().width;
  if (text.trim().length > 4 && width < 2 * em) {
    found.push(`box ${Math.round(width)}px wide: "${text.trim().slice(0, 40)}"`);
    continue;
  }
  const words = /\S+/g;
  for (let m = words.exec(text); m; m = words.exec(text)) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size > 1) found.push(`word broken across lines: "${m[0]}" in "${text.trim().slice(0, 40)}"`);
  }
}
done(found);
});
"#;

/// Where `scripts/setup` put axe-core.
fn axe_core() -> PathBuf {
    std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/axe/node_modules/axe-core/axe.min.js")
        })
}

/// What the pages showed: screenshots taken, and what was wrong with them.
pub struct Gallery {
    dir: PathBuf,
    violations: Vec<(String, Violation)>,
    too_wide: Vec<String>,
    badly_laid_out: Vec<String>,
}

impl Default for Gallery {
    fn default() -> Gallery {
        Gallery::new()
    }
}

impl Gallery {
    /// Screenshots go to `target/screenshots/pages`.
    pub fn new() -> Gallery {
        Gallery {
            dir: screenshot_dir().join("pages"),
            violations: Vec::new(),
            too_wide: Vec::new(),
            badly_laid_out: Vec::new(),
        }
    }

    /// Fails the test on anything the pages showed wrong.
    pub fn assert_clean(&self) {
        assert!(
            self.violations.is_empty(),
            "axe-core, WCAG 2.2 A and AA: {:#?}",
            self.violations
        );
        assert!(
            self.too_wide.is_empty(),
            "wider than the screen: {:?}",
            self.too_wide
        );
        assert!(
            self.badly_laid_out.is_empty(),
            "text laid out so it cannot be read: {:#?}",
            self.badly_laid_out
        );
    }

    /// Screenshot, accessibility audit and width check of the page `chrome` shows.
    pub async fn shot(&mut self, chrome: &Chrome, page: &str, lang: &str, width: u32) {
        let name = format!("{page}-{lang}-{width}");
        chrome.screenshot(&self.dir, &name).await;
        for v in chrome.violations().await {
            self.violations.push((name.clone(), v));
        }
        for problem in chrome.layout_problems().await {
            self.badly_laid_out.push(format!("{name}: {problem}"));
        }
        let scroll_width = chrome
            .client
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await
            .expect("the page's width");
        if scroll_width.as_u64().unwrap_or(0) > u64::from(width) {
            self.too_wide.push(format!("{name}: {scroll_width}px"));
        }
    }
}

/// Where the tests keep screenshots: `target/screenshots`, which CI keeps with the build.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}
