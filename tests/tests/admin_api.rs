//! The admin API on the real binary (issue 20): the helpdesk's scenario and a group manager's
//! grant with `client_credentials` tokens of clients `[[admin.api_client]]` names; what the
//! roles forbid; RFC 9457 problem details on every error; the OpenAPI document accepted by a
//! validator; each change audited with the client as its actor and the reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use gerbang_tests::authenticator::set_up_from_beranda;
use gerbang_tests::browser::{self, location, PKCE_CHALLENGE, PKCE_VERIFIER};
use gerbang_tests::site::{group_route, AtGroupRoute, Site, APP_ROUTE, MAIL_WAIT};
use gerbang_tests::Gerbang;
use serde_json::{json, Value};

const PASSWORD: &str = "kuda laut biru";
/// Budi's NIK: the harness gives its n-th user `317101410100{n+1:04}`, and he is the first.
const BUDI_NIK: &str = "3171014101000001";

/// Two clients of the API: the helpdesk's tool and the back office of DPMPTSP Bandung, which
/// manages `pejabat-3273`; a third client has no `[[admin.api_client]]` entry.
const CLIENTS: &str = r#"
[[group]]
name = "helpdesk-oss"

[[group]]
name = "pejabat-3273"
managers = ["admin-3273"]

[[group]]
name = "admin-3273"

[admin]
helpdesk = ["helpdesk-oss"]
searches_per_minute = 8

[[admin.api_client]]
client = "helpdesk-tool"
groups = ["helpdesk-oss"]

[[admin.api_client]]
client = "backoffice-3273"
groups = ["admin-3273"]

[[client]]
id = "helpdesk-tool"
name = "Alat helpdesk"
secret = "helpdesk-tool-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["gerbang:admin"]

[[client]]
id = "backoffice-3273"
name = "Back office DPMPTSP Bandung"
secret = "backoffice-3273-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["gerbang:admin", "email"]

[[client]]
id = "ops-console"
name = "Konsol operasional"
secret = "ops-console-secret-0123456789"
redirect_uris = ["https://ops.test/cb"]
scopes = ["openid", "gerbang:admin"]
first_party = true

[[client]]
id = "stranger"
name = "Tidak terdaftar"
secret = "stranger-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["gerbang:admin"]
"#;

/// A site with `routes`, budi and dewi (who holds no role yet), and the API's clients; locks last long enough to be seen.
async fn start(routes: String) -> Site {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let users = ["budi", "dewi"].map(|u| (u.to_string(), PASSWORD.to_string()));
    let users = users.to_vec();
    let mut spec = Site::spec(&smtp, routes, users);
    spec.extra = spec
        .extra
        .replace("[login]\n", "[login]\nbackoff_base_secs = 300\n");
    spec.extra.push_str(CLIENTS);
    Site::around(Gerbang::start(spec).await, smtp)
}

/// A `client_credentials` token of `client` for `scope`.
async fn token(site: &Site, client: &str, scope: &str) -> String {
    let answer = site
        .browser
        .post(format!("{}/token", site.issuer))
        .basic_auth(client, Some(format!("{client}-secret-0123456789")))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{client}'s token");
    let body: Value = answer.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// What the API answered: the status, the content type, the body (JSON, or null).
struct Answered {
    status: u16,
    content_type: String,
    body: Value,
}

impl Answered {
    /// The problem type's last part, after checking the answer is RFC 9457 problem details
    /// with `status`.
    fn problem(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string(), "{}", self.body);
        let kind = self.body["type"].as_str().unwrap();
        kind.strip_prefix("tag:gerbang.id,2026:problem:").unwrap()
    }
}

/// `method path` with `body` as JSON, under `token` (none: no `Authorization`).
async fn call(
    site: &Site,
    token: Option<&str>,
    (method, path): (&str, &str),
    body: Option<Value>,
) -> Answered {
    let url = format!("{}/admin/api/v1{path}", site.issuer);
    let mut request = site
        .browser
        .request(method.parse().unwrap(), url)
        .header("accept-language", "id");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = answer.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answered {
        status,
        content_type,
        body,
    }
}

/// The id of the one account a search for `query` finds.
async fn found(site: &Site, token: &str, query: &str) -> String {
    let search = json!({ "query": query });
    let answer = call(
        site,
        Some(token),
        ("POST", "/accounts/search"),
        Some(search),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let accounts = answer.body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{}", answer.body);
    accounts[0]["id"].as_str().unwrap().to_string()
}

/// A locked-out user calls the helpdesk, whose tool finds him by NIK, sees the lock and until
/// when, unlocks him and sends a reset link; he resets and logs in. Each step is audited with
/// the client and the reason; unlocking again changes nothing (409); the helpdesk may not
/// grant; a bad NIK gets registration's words.
#[tokio::test]
async fn the_helpdesk_scenario_with_a_client_credentials_token() {
    let site = start(APP_ROUTE.into()).await;
    let locked_out = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    for _ in 0..6 {
        browser::submit_login(&locked_out, &site.issuer, "budi", "salah sekali", None).await;
    }
    let tool = token(&site, "helpdesk-tool", "gerbang:admin").await;

    // Search results mask the document; the account itself shows it to the helpdesk, audited.
    let search = json!({ "query": BUDI_NIK });
    let answer = call(
        &site,
        Some(&tool),
        ("POST", "/accounts/search"),
        Some(search),
    )
    .await;
    assert_eq!(answer.body["accounts"][0]["document"]["masked"], true);
    assert!(
        !answer.body.to_string().contains(BUDI_NIK),
        "{}",
        answer.body
    );
    let id = found(&site, &tool, BUDI_NIK).await;
    let account = call(
        &site,
        Some(&tool),
        ("GET", &format!("/accounts/{id}")),
        None,
    )
    .await;
    assert_eq!(account.status, 200);
    let budi = &account.body;
    assert_eq!(budi["document"]["number"], BUDI_NIK, "{budi}");
    assert_eq!(budi["locks"][0]["origin"], "address", "{budi}");
    assert!(budi["locks"][0]["until"].as_str().unwrap().ends_with('Z'));
    let actions = budi["actions"].as_array().unwrap();
    assert!(actions.contains(&json!("unlock")), "{budi}");
    assert!(
        !actions.contains(&json!("delete")),
        "not the helpdesk's: {budi}"
    );

    let reason = json!({ "reason": "Telepon, tiket 31" });
    let unlock = format!("/accounts/{id}/actions/unlock");
    let answer = call(&site, Some(&tool), ("POST", &unlock), Some(reason.clone())).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = call(&site, Some(&tool), ("POST", &unlock), Some(reason.clone())).await;
    assert_eq!(answer.problem(409), "not-applicable");
    let reset = format!("/accounts/{id}/actions/send-reset-link");
    let answer = call(&site, Some(&tool), ("POST", &reset), Some(reason.clone())).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let mails = site.smtp.wait_for("budi@example.test", 2, MAIL_WAIT).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.text.contains("/password/reset?token="));
    let link = gerbang_tests::smtp::link(&mail.unwrap().text, "/password/reset?token=").unwrap();
    site.reset_password(&link, "bintang laut merah").await;
    let answer = browser::submit_login(
        &locked_out,
        &site.issuer,
        "budi",
        "bintang laut merah",
        None,
    )
    .await;
    assert_eq!(location(&answer).as_deref(), Some("/"), "in again");

    // What the helpdesk may not do, and what is wrong with a request.
    let grant = json!({ "until": "2099-12-31", "reason": "Surat tugas" });
    let path = format!("/accounts/{id}/groups/pejabat-3273");
    let answer = call(&site, Some(&tool), ("PUT", &path), Some(grant)).await;
    assert_eq!(answer.problem(403), "no-right");
    let delete = format!("/accounts/{id}/actions/delete");
    let answer = call(&site, Some(&tool), ("POST", &delete), Some(reason)).await;
    assert_eq!(answer.problem(403), "no-right");
    let answer = call(&site, Some(&tool), ("POST", &unlock), Some(json!({}))).await;
    assert_eq!(answer.problem(422), "invalid-field");
    assert_eq!(answer.body["errors"][0]["field"], "reason");
    let answer = call(&site, Some(&tool), ("POST", &unlock), Some(json!("unlock"))).await;
    assert_eq!(answer.problem(400), "bad-request");
    // Sixteen digits that are no NIK: registration's own words.
    let bad = json!({ "query": "3171019999999999" });
    let answer = call(&site, Some(&tool), ("POST", "/accounts/search"), Some(bad)).await;
    assert_eq!(answer.problem(422), "invalid-field");
    assert_eq!(answer.body["errors"][0]["field"], "nik");
    let said = answer.body["errors"][0]["detail"].as_str().unwrap();
    assert!(said.contains("NIK"), "{said}");

    // The audit log: the unlock and the link, by the client, with the reason.
    let log = call(
        &site,
        Some(&tool),
        ("GET", "/audit?kind=login.unlocked"),
        None,
    )
    .await;
    let events = log.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", log.body);
    assert_eq!(events[0]["actor"], "client:helpdesk-tool");
    assert_eq!(events[0]["user_id"], json!(id));
    let detail = events[0]["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("by client helpdesk-tool (admin API): Telepon, tiket 31"),
        "{detail}"
    );
    let log = call(
        &site,
        Some(&tool),
        ("GET", "/audit?actor=client:helpdesk-tool"),
        None,
    )
    .await;
    let kinds: Vec<&str> = log.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "login.unlocked",
        "password.reset_requested",
        "console.document_viewed",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let log = call(&site, Some(&tool), ("GET", "/audit?kind=no.such"), None).await;
    assert_eq!(log.problem(422), "invalid-field");
    // By the account's id; never by a NIK in the address.
    let by_id = format!("/audit?account_id={id}&kind=login.unlocked");
    let log = call(&site, Some(&tool), ("GET", &by_id), None).await;
    assert_eq!(
        log.body["events"].as_array().unwrap().len(),
        1,
        "{}",
        log.body
    );
    let by_nik = format!("/audit?account={BUDI_NIK}");
    let log = call(&site, Some(&tool), ("GET", &by_nik), None).await;
    assert_eq!(log.problem(422), "invalid-field");
    assert_eq!(log.body["errors"][0]["field"], "account");
}

/// The back office of DPMPTSP Bandung grants its group to an official it finds by NIK, with
/// an end; the official reaches the route that requires the group within a second, and loses
/// it a second after the revocation. It may grant no other group and unlock nobody.
#[tokio::test]
async fn a_group_managers_client_grants_and_revokes_its_group() {
    let app = gerbang_tests::App::start("dinas").await;
    let route = group_route(&app, "pejabat-3273");
    let site = start(format!("{APP_ROUTE}\n{route}")).await;
    let budi = AtGroupRoute::log_in(&site, "budi", PASSWORD).await;
    assert_eq!(budi.status().await, 403);

    let office = token(&site, "backoffice-3273", "gerbang:admin").await;
    let id = found(&site, &office, BUDI_NIK).await;
    let account = call(
        &site,
        Some(&office),
        ("GET", &format!("/accounts/{id}")),
        None,
    )
    .await;
    assert_eq!(
        account.body["document"]["masked"], true,
        "a manager sees it masked"
    );
    let path = format!("/accounts/{id}/groups/pejabat-3273");
    let no_end = json!({ "reason": "Surat tugas" });
    let answer = call(&site, Some(&office), ("PUT", &path), Some(no_end)).await;
    assert_eq!(answer.problem(422), "invalid-field");
    assert_eq!(answer.body["errors"][0]["field"], "until");
    let grant = json!({ "until": "2099-12-31", "reason": "Surat tugas 12/2026" });
    let granted = Instant::now();
    let answer = call(&site, Some(&office), ("PUT", &path), Some(grant)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(
        budi.status_a_second_after(granted).await,
        200,
        "the grant holds a second later"
    );
    let account = call(
        &site,
        Some(&office),
        ("GET", &format!("/accounts/{id}")),
        None,
    )
    .await;
    let groups = &account.body["groups"];
    assert_eq!(groups[0]["group"], "pejabat-3273", "{groups}");
    assert_eq!(groups[0]["granted_by"], "client:backoffice-3273");
    assert!(groups[0]["until"]
        .as_str()
        .unwrap()
        .starts_with("2099-12-31T17:00:00"));

    let revoke = json!({ "reason": "Mutasi" });
    let revoked = Instant::now();
    let answer = call(
        &site,
        Some(&office),
        ("DELETE", &path),
        Some(revoke.clone()),
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(
        budi.status_a_second_after(revoked).await,
        403,
        "the revocation holds a second later"
    );
    let answer = call(
        &site,
        Some(&office),
        ("DELETE", &path),
        Some(revoke.clone()),
    )
    .await;
    assert_eq!(answer.problem(409), "not-applicable");

    let other = format!("/accounts/{id}/groups/helpdesk-oss");
    let answer = call(
        &site,
        Some(&office),
        ("DELETE", &other),
        Some(revoke.clone()),
    )
    .await;
    assert_eq!(answer.problem(403), "no-right");
    let unlock = format!("/accounts/{id}/actions/unlock");
    let answer = call(&site, Some(&office), ("POST", &unlock), Some(revoke)).await;
    assert_eq!(answer.problem(403), "no-right");
}

/// Without a token, with one lacking the scope, of a client the API does not name, or for an
/// address that is not an operation: problem details, with RFC 6750's challenge where a token
/// is the problem. The OpenAPI document is served beside the API, and a validator accepts it.
#[tokio::test]
async fn tokens_problems_and_the_openapi_document() {
    let site = start(APP_ROUTE.into()).await;
    let search = ("POST", "/accounts/search");
    let query = || Some(json!({ "query": "budi" }));
    let answer = call(&site, None, search, query()).await;
    assert_eq!(answer.problem(401), "unauthenticated");
    let answer = call(&site, Some("not.a.token"), search, query()).await;
    assert_eq!(answer.problem(401), "unauthenticated");
    let no_scope = token(&site, "backoffice-3273", "email").await;
    let answer = call(&site, Some(&no_scope), search, query()).await;
    assert_eq!(answer.problem(403), "insufficient-scope");
    let stranger = token(&site, "stranger", "gerbang:admin").await;
    let answer = call(&site, Some(&stranger), search, query()).await;
    assert_eq!(answer.problem(403), "no-right");
    let tool = token(&site, "helpdesk-tool", "gerbang:admin").await;
    // Each caller has its own limit on searches a minute (here 8).
    for n in 0..8 {
        let answer = call(&site, Some(&tool), search, query()).await;
        assert_eq!(answer.status, 200, "search {n}: {}", answer.body);
    }
    let answer = call(&site, Some(&tool), search, query()).await;
    assert_eq!(answer.problem(429), "too-many-requests");
    let answer = call(&site, Some(&tool), ("GET", "/accounts/nobody"), None).await;
    assert_eq!(answer.problem(404), "not-found");
    let answer = call(&site, Some(&tool), ("GET", "/no/such/operation"), None).await;
    assert_eq!(answer.problem(404), "not-found");
    let challenge = site
        .browser
        .post(format!("{}/admin/api/v1/accounts/search", site.issuer))
        .bearer_auth(&no_scope)
        .json(&json!({ "query": "budi" }))
        .send()
        .await
        .unwrap();
    let challenge = challenge.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");

    let document = call(&site, None, ("GET", "/openapi.json"), None).await;
    assert_eq!(document.status, 200);
    assert_eq!(document.body["openapi"], "3.1.0");
    let file = std::env::temp_dir().join(format!("gerbang-openapi-{}.json", std::process::id()));
    std::fs::write(&file, document.body.to_string()).unwrap();
    let validated = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("python3 with openapi-spec-validator (scripts/setup --tests installs it)");
    let said = String::from_utf8_lossy(&validated.stdout);
    assert!(
        validated.status.success() && said.contains("OK"),
        "{said}{}",
        String::from_utf8_lossy(&validated.stderr)
    );
    std::fs::remove_file(file).unwrap();
}

/// A token `browser`'s session gets for the operations console (a first-party client asking
/// for `gerbang:admin`), by the authorization code flow.
async fn persons_token(site: &Site, browser: &reqwest::Client) -> String {
    let answer = browser
        .get(format!(
            "{}/authorize?client_id=ops-console&response_type=code&scope=openid%20gerbang:admin\
             &state=s&nonce=n&redirect_uri=https://ops.test/cb\
             &code_challenge={PKCE_CHALLENGE}&code_challenge_method=S256",
            site.issuer
        ))
        .send()
        .await
        .unwrap();
    let token_url = format!("{}/token", site.issuer);
    let client = browser::CodeClient {
        token_url: &token_url,
        id: "ops-console",
        secret: "ops-console-secret-0123456789",
        redirect_uri: "https://ops.test/cb",
        verifier: PKCE_VERIFIER,
    };
    let tokens = client.redeem(&site.browser, &answer).await;
    tokens["access_token"]
        .as_str()
        .expect("{tokens}")
        .to_string()
}

/// A person's token works as the person: refused while the session proved only a password
/// (and before a role is held), accepted once it proved two factors and they hold the
/// helpdesk's role, the change audited with their name.
#[tokio::test]
async fn a_persons_token_from_a_two_factor_session_acts_as_them() {
    let site = start(APP_ROUTE.into()).await;
    let search = ("POST", "/accounts/search");
    let query = || Some(json!({ "query": "budi" }));
    let dewi = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&dewi, &site.issuer, "dewi", PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"));
    let password_only = persons_token(&site, &dewi).await;
    let answer = call(&site, Some(&password_only), search, query()).await;
    assert_eq!(answer.problem(403), "two-factors-needed");

    set_up_from_beranda(&dewi, &site.issuer).await;
    let two_factors = persons_token(&site, &dewi).await;
    let answer = call(&site, Some(&two_factors), search, query()).await;
    assert_eq!(answer.problem(403), "no-right", "no role yet");
    let (ok, _, err) = site
        .gw
        .admin(&["groups", "grant", "dewi", "helpdesk-oss"], "");
    assert!(ok, "{err}");
    let id = found(&site, &two_factors, "budi").await;
    // Budi on two browsers: the helpdesk ends one's session, then (below) every session.
    let mut budi = Vec::new();
    for _ in 0..2 {
        let browser = site.gw.client(&[Gerbang::PROVIDER_HOST]);
        browser::submit_login(&browser, &site.issuer, "budi", PASSWORD, None).await;
        budi.push(browser);
    }
    let account = format!("/accounts/{id}");
    let sessions = call(&site, Some(&two_factors), ("GET", &account), None).await;
    let listed = sessions.body["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{}", sessions.body);
    let one = format!("{account}/sessions/{}", listed[0]["id"].as_str().unwrap());
    let why = || Some(json!({ "reason": "Laptop tertinggal" }));
    let answer = call(&site, Some(&two_factors), ("DELETE", &one), why()).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = call(&site, Some(&two_factors), ("DELETE", &one), why()).await;
    assert_eq!(answer.problem(404), "not-found");
    let sessions = call(&site, Some(&two_factors), ("GET", &account), None).await;
    assert_eq!(sessions.body["sessions"].as_array().unwrap().len(), 1);

    let end = format!("/accounts/{id}/actions/end-sessions");
    let reason = json!({ "reason": "Perangkat hilang, tiket 77" });
    let answer = call(&site, Some(&two_factors), ("POST", &end), Some(reason)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let log = call(
        &site,
        Some(&two_factors),
        ("GET", "/audit?actor=dewi"),
        None,
    )
    .await;
    let events = log.body["events"].as_array().unwrap();
    let ended = events.iter().find(|e| e["kind"] == "sessions.ended");
    let detail = ended.unwrap_or_else(|| panic!("{}", log.body))["detail"].as_str();
    let detail = detail.unwrap();
    assert!(
        detail.ends_with("by dewi (admin API): Perangkat hilang, tiket 77"),
        "{detail}"
    );
}
