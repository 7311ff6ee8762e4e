//! The provider against the Basic and Config OP plans of `shared/checklists/oidc-provider.md`,
//! driven by a real relying party (the `openidconnect` crate) through the running binary: one
//! test per line, named after the conformance-suite module it stands for (`oidcc_*`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser::location;
use gerbang_tests::op::*;
use openidconnect::core::{CoreClient, CoreJwsSigningAlgorithm, CoreUserInfoClaims};
use openidconnect::{
    ClientId, ClientSecret, Nonce, OAuth2TokenResponse, RedirectUrl, TokenResponse,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Basic OP plan
// ---------------------------------------------------------------------------------------------

/// oidcc-server: a normal login returns a code and the `state`; the ID token's `nonce` matches.
#[tokio::test]
async fn oidcc_server() {
    let op = Op::start().await;
    let client = op.client().await;
    let (url, state, nonce) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    assert_eq!(back.get("state"), Some(state.secret()));
    let tokens = op.exchange_with(&client, &back["code"], None).await;
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.nonce(), Some(&nonce));
    assert_eq!(claims.issuer().as_str(), op.issuer);
    assert!(claims.auth_time().is_some());
    assert!(claims.access_token_hash().is_some(), "at_hash");
    assert!(
        tokens.refresh_token().is_some(),
        "a refresh token for the RP"
    );
}

/// oidcc-response-type-missing: the error goes back to the registered redirect URI.
#[tokio::test]
async fn oidcc_response_type_missing() {
    let op = Op::start().await;
    let back = op
        .back(&format!(
            "{}/authorize?client_id={RP}&scope=openid&state=s&redirect_uri={}",
            op.issuer,
            encode(RP_REDIRECT)
        ))
        .await;
    assert_eq!(back["error"], "invalid_request");
    assert_eq!(back["state"], "s");
}

/// oidcc-idtoken-signature: RS256 by default, its `kid` in the JWKS, the signature good.
#[tokio::test]
async fn oidcc_idtoken_signature() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let id_token = tokens.id_token().unwrap().to_string();
    let header = jwt_part(&id_token, 0);
    assert_eq!(header["alg"], "RS256");
    let jwks = op.get_json("/jwks").await;
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"] && k["alg"] == "RS256"));
    // The RP's verifier (JWKS from discovery) accepts it; a changed signature is refused.
    let verifier = client
        .id_token_verifier()
        .insecure_disable_signature_check();
    assert!(tokens
        .id_token()
        .unwrap()
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .is_ok());
    let mut forged = id_token.clone();
    forged.replace_range(forged.len() - 8.., "AAAAAAAA");
    let forged: openidconnect::core::CoreIdToken = forged.parse().unwrap();
    assert!(forged
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .is_err());
}

/// oidcc-idtoken-unsigned: `none` is never offered, and a client asking for it is refused by
/// the configuration check.
#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
    let algs = doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(!algs.contains(&"none".into()), "{algs:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unsigned.toml");
    let mut text = std::fs::read_to_string(op.gw.config_path()).unwrap();
    text.push_str("\n[[client]]\nid = \"lazy\"\nsecret = \"lazy-secret-0123456789\"\nredirect_uris = [\"https://lazy.test/cb\"]\nid_token_signed_response_alg = \"none\"\n");
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(gerbang_tests::gerbang_binary())
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("id_token_signed_response_alg: unsigned tokens are never issued"),
        "{stderr}"
    );
}

/// A client registered with `id_token_signed_response_alg = "ES256"` gets ES256 ID tokens,
/// verifiable against the JWKS, and its `id_token_hint` is accepted at logout.
#[tokio::test]
async fn id_token_signed_response_alg_es256() {
    let op = Op::start().await;
    let client = CoreClient::from_provider_metadata(
        op.metadata().await,
        ClientId::new("rp-es".into()),
        Some(ClientSecret::new(RP_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new("https://rp-es.test/cb".into()).unwrap());
    let (url, _, nonce) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    let tokens = op.exchange_with(&client, &back["code"], None).await;
    let id_token = tokens.id_token().unwrap();
    assert_eq!(jwt_part(&id_token.to_string(), 0)["alg"], "ES256");
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.audiences()[0].as_str(), "rp-es");
    let out = op
        .logout(vec![("id_token_hint", id_token.to_string())])
        .await;
    assert_eq!(out.status(), 200);
    assert!(!op.still_logged_in(&op.client().await).await);
}

/// oidcc-userinfo-get
#[tokio::test]
async fn oidcc_userinfo_get() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&op.http)
        .await
        .unwrap();
    let sub = jwt_part(&tokens.id_token().unwrap().to_string(), 1)["sub"].clone();
    assert_eq!(info.subject().as_str(), sub.as_str().unwrap());
    let bad = op
        .http
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
}

/// oidcc-userinfo-post-header
#[tokio::test]
async fn oidcc_userinfo_post_header() {
    let op = Op::start().await;
    let tokens = op.log_in_tokens(&op.client().await).await;
    let info: Value = op
        .http
        .post(format!("{}/userinfo", op.issuer))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], id_claims(&tokens)["sub"]);
}

/// oidcc-userinfo-post-body
#[tokio::test]
async fn oidcc_userinfo_post_body() {
    let op = Op::start().await;
    let tokens = op.log_in_tokens(&op.client().await).await;
    let info: Value = op
        .http
        .post(format!("{}/userinfo", op.issuer))
        .form(&[("access_token", tokens.access_token().secret())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], id_claims(&tokens)["sub"]);
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow
#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let op = Op::start().await;
    let back = op.authorize(&op.plain_request("openid", "")).await;
    let (status, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(jwt_part(tokens["id_token"].as_str().unwrap(), 1)
        .get("nonce")
        .is_none());
}

/// oidcc-scope-profile
#[tokio::test]
async fn oidcc_scope_profile() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid profile").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["name"], format!("Pengguna {USER}"));
        assert_eq!(claims["preferred_username"], USER);
        assert_eq!(claims["locale"], "id");
        assert!(claims.get("email").is_none() && claims.get("phone_number").is_none());
    }
}

/// oidcc-scope-email
#[tokio::test]
async fn oidcc_scope_email() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid email").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["email"], format!("{USER}@example.test"));
        assert_eq!(claims["email_verified"], true);
        assert!(claims.get("name").is_none());
    }
}

/// oidcc-scope-address: the OSS registration collects no postal address, so `address` is not in
/// `scopes_supported` (the suite skips the module for such a provider); asking for it anyway is
/// harmless and releases nothing.
#[tokio::test]
async fn oidcc_scope_address() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
    assert!(!doc["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&"address".into()));
    let (id_token, userinfo) = op.scope_claims("openid address").await;
    for claims in [&id_token, &userinfo] {
        assert!(claims.get("address").is_none());
        assert!(claims["sub"].is_string());
    }
}

/// oidcc-scope-phone
#[tokio::test]
async fn oidcc_scope_phone() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid phone").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["phone_number"], "+628120000000");
        assert_eq!(claims["phone_number_verified"], false);
        assert!(claims.get("email").is_none());
    }
}

/// oidcc-scope-all: every supported scope at once releases all their claims.
#[tokio::test]
async fn oidcc_scope_all() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid profile email address phone").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["name"], format!("Pengguna {USER}"));
        assert_eq!(claims["email"], format!("{USER}@example.test"));
        assert_eq!(claims["phone_number"], "+628120000000");
        assert!(
            claims.get("identity_document").is_none(),
            "identity documents leave only through their own scope"
        );
    }
}

/// Identity documents (NIK, passport) leave only through their own scope, for a client allowed it.
#[tokio::test]
async fn identity_document_scope_releases_the_nik() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid identity_document").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["identity_document"]["type"], "KTP");
        assert_eq!(claims["identity_document"]["number"], "3171014101000001");
    }
}

/// oidcc-alternate-happy-flow: scope order and parameter order do not matter.
#[tokio::test]
async fn oidcc_alternate_happy_flow() {
    let op = Op::start().await;
    let reordered = format!(
        "{}/authorize?state=z&scope=email+openid&redirect_uri={}&response_type=code&client_id={RP}&nonce=n1",
        op.issuer,
        encode(RP_REDIRECT)
    );
    let back = op.authorize(&reordered).await;
    assert_eq!(back["state"], "z");
    let (status, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(status, 200);
    assert_eq!(tokens["scope"], "openid email");
    assert_eq!(
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["nonce"],
        "n1"
    );
}

/// Parameters a provider must accept without fuss: with a session, each answers silently with a
/// code (and the token exchange works).
macro_rules! accepted_parameter {
    ($(#[$doc:meta])* $name:ident, $parameter:expr) => {
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            let op = Op::start().await;
            let client = op.client().await;
            op.log_in_tokens(&client).await;
            let back = op.back(&silent_url(&client, $parameter)).await;
            assert!(back.contains_key("code"), "{}: {back:?}", $parameter);
            let (status, tokens) = op.exchange(&back["code"]).await;
            assert_eq!(status, 200, "{tokens}");
        }
    };
}

accepted_parameter!(
    /// oidcc-display-page
    oidcc_display_page,
    "display=page"
);
accepted_parameter!(
    /// oidcc-display-popup
    oidcc_display_popup,
    "display=popup"
);
accepted_parameter!(
    /// oidcc-ensure-request-with-unknown-parameter-succeeds
    oidcc_ensure_request_with_unknown_parameter_succeeds,
    "unknown_parameter=whatever"
);
accepted_parameter!(
    /// oidcc-claims-locales
    oidcc_claims_locales,
    "claims_locales=id"
);
accepted_parameter!(
    /// oidcc-claims-essential: `name` asked as essential is harmlessly ignored without `profile`.
    oidcc_claims_essential,
    "claims=%7B%22id_token%22%3A%7B%22name%22%3A%7B%22essential%22%3Atrue%7D%7D%7D"
);

/// oidcc-prompt-login: the login page is shown again, and the new `auth_time` is later.
#[tokio::test]
async fn oidcc_prompt_login() {
    let op = Op::start().await;
    op.assert_login_asked_again("prompt=login").await;
}

/// oidcc-prompt-none-not-logged-in: back to the client with `login_required`, no page shown.
#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    let op = Op::start().await;
    let client = op.client().await;
    let back = op.back(&silent_url(&client, "prompt=none")).await;
    assert_eq!(back["error"], "login_required");
    assert_eq!(back["iss"], op.issuer);
    assert!(back.contains_key("state"));
}

/// oidcc-prompt-none-logged-in: a code silently; `sub` and `auth_time` unchanged.
#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    let op = Op::start().await;
    let client = op.client().await;
    let first = id_claims(&op.log_in_tokens(&client).await);
    op.assert_same_login(&client, "prompt=none", &first).await;
}

/// oidcc-max-age-1: after a pause, `max_age=1` forces a login; `auth_time` is returned, later.
#[tokio::test]
async fn oidcc_max_age_1() {
    let op = Op::start().await;
    op.assert_login_asked_again("max_age=1").await;
}

/// oidcc-max-age-10000: no new login; `auth_time` and `sub` unchanged.
#[tokio::test]
async fn oidcc_max_age_10000() {
    let op = Op::start().await;
    let client = op.client().await;
    let first = id_claims(&op.log_in_tokens(&client).await);
    op.assert_same_login(&client, "max_age=10000", &first).await;
}

/// oidcc-id-token-hint: `prompt=none` with the ID token as hint succeeds silently.
#[tokio::test]
async fn oidcc_id_token_hint() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let hint = tokens.id_token().unwrap().to_string();
    op.assert_same_login(
        &client,
        &format!("prompt=none&id_token_hint={hint}"),
        &id_claims(&tokens),
    )
    .await;
}

/// oidcc-login-hint: the login page comes with the user name filled in.
#[tokio::test]
async fn oidcc_login_hint() {
    let op = Op::start().await;
    let page = op
        .login_page(&silent_url(&op.client().await, "login_hint=budi"))
        .await;
    assert!(page.contains("value=\"budi\""), "login_hint");
}

/// oidcc-ui-locales: the login page speaks the asked language (Indonesian by default).
#[tokio::test]
async fn oidcc_ui_locales() {
    let op = Op::start().await;
    let client = op.client().await;
    for (locales, lang, button) in [
        ("ui_locales=en", "en", "Log in"),
        ("ui_locales=fr-CA+en", "en", "Log in"),
        ("ui_locales=id", "id", "Masuk"),
        ("ui_locales=fr", "id", "Masuk"),
    ] {
        let page = op.login_page(&silent_url(&client, locales)).await;
        assert!(
            page.contains(&format!("lang=\"{lang}\"")) && page.contains(button),
            "{locales}"
        );
    }
}

/// oidcc-ensure-request-with-acr-values-succeeds: accepted, and the `acr` claim is returned.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let back = op
        .back(&silent_url(
            &client,
            "acr_values=urn:gerbang:acr:password-captcha+urn:other",
        ))
        .await;
    let (_, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["acr"],
        "urn:gerbang:acr:password-captcha"
    );
}

/// oidcc-codereuse: a code used twice gives `invalid_grant`, and what it issued is revoked.
#[tokio::test]
async fn oidcc_codereuse() {
    let op = Op::start().await;
    op.assert_code_reuse_refused(std::time::Duration::ZERO)
        .await;
}

/// Made-up codes revoke nothing: only a code that was redeemed can be replayed, so a flood of
/// unknown codes adds nothing to the revocations every instance holds in memory (issue 16,
/// item 7), while a real replay still revokes its family (above).
#[tokio::test]
async fn unknown_codes_revoke_nothing() {
    let mut op = Op::start().await;
    for n in 0..200 {
        let code = format!("made-up-code-{n}");
        let (status, error) = op
            .token(
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", "spa"),
                    ("code", code.as_str()),
                    ("redirect_uri", "https://spa.test/cb"),
                    ("code_verifier", "a".repeat(43).as_str()),
                ],
            )
            .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    op.assert_code_reuse_refused(std::time::Duration::ZERO)
        .await;
    op.gw.stop();
    use gerbang_idp::store::RevocationStore;
    let store = gerbang_idp::store::SledStore::open(&op.gw.dir.path().join("store")).unwrap();
    let (revoked, _) = store.revocations_since(0).await.unwrap();
    let subjects: Vec<&str> = revoked.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        subjects.len(),
        1,
        "only the replayed code's family: {subjects:?}"
    );
    assert!(subjects[0].starts_with("code:"), "{subjects:?}");
}

/// oidcc-codereuse-30seconds: the same, 30 s after the first use.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let op = Op::start().await;
    op.assert_code_reuse_refused(std::time::Duration::from_secs(30))
        .await;
}

/// oidcc-ensure-registered-redirect-uri: an error page, never a redirect.
#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    let op = Op::start().await;
    for uri in [
        "https://evil.test/cb",
        "https://rp.test/callback/",
        "https://rp.test/callback?x=1",
    ] {
        let response = op
            .silent(&format!(
                "{}/authorize?client_id={RP}&scope=openid&state=s&response_type=code&redirect_uri={}",
                op.issuer,
                encode(uri)
            ))
            .await;
        assert_eq!(response.status(), 400, "{uri}");
        assert!(location(&response).is_none(), "{uri}");
    }
}

/// Full plan: a client with several redirect URIs that sends none gets an error page.
#[tokio::test]
async fn oidcc_ensure_redirect_uri_required_with_several_registered() {
    let op = Op::start().await;
    let response = op
        .silent(&format!(
            "{}/authorize?client_id={RP}&scope=openid&state=s&response_type=code",
            op.issuer
        ))
        .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
}

/// oidcc-ensure-post-request-succeeds: the authorization endpoint accepts a form POST.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let op = Op::start().await;
    op.log_in_tokens(&op.client().await).await;
    let posted = op
        .browser
        .post(format!("{}/authorize", op.issuer))
        .form(&[
            ("client_id", RP),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", RP_REDIRECT),
            ("state", "p"),
        ])
        .send()
        .await
        .unwrap();
    let back = query(&location(&posted).unwrap());
    assert_eq!(back["state"], "p");
    assert_eq!(op.exchange(&back["code"]).await.0, 200);
}

/// oidcc-server-client-secret-post: the normal flow with the secret in the form body.
#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let op = Op::start().await;
    let back = op.authorize(&op.plain_request("openid", "")).await;
    let (status, tokens) = op
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", RP),
                ("client_secret", RP_SECRET),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
    // Both methods at once is not one client authentication: refused.
    let back = op.back(&op.plain_request("openid", "")).await;
    let both = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", RP),
                ("client_secret", RP_SECRET),
            ],
        )
        .await;
    assert_eq!(both.0, 400, "{}", both.1);
}

/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: rejected as
/// unsupported, to the client, with its state.
#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    let back = op
        .back(&op.plain_request("openid", "&request_uri=https%3A%2F%2Frp.test%2Frequest.jwt"))
        .await;
    assert_eq!(back["error"], "request_uri_not_supported");
    assert_eq!(back["state"], "s");
}

/// An unsigned request object (`alg: none`) carrying `claims`.
fn unsigned_request_object(claims: Value) -> String {
    use base64::Engine;
    let b64 = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    format!(
        "{}.{}.",
        b64(serde_json::json!({"alg": "none"})),
        b64(claims)
    )
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    let object = unsigned_request_object(serde_json::json!({"client_id": RP, "scope": "openid"}));
    let back = op
        .back(&op.plain_request("openid", &format!("&request={object}")))
        .await;
    assert_eq!(back["error"], "request_not_supported");
    assert_eq!(back["state"], "s");
}

/// oidcc-ensure-request-object-with-redirect-uri: request objects are not supported, so the
/// object's `redirect_uri` never wins: the error goes to the registered URI of the query.
#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let op = Op::start().await;
    let object = unsigned_request_object(
        serde_json::json!({"client_id": RP, "redirect_uri": "https://evil.test/cb"}),
    );
    let response = op
        .silent(&op.plain_request("openid", &format!("&request={object}")))
        .await;
    let to = location(&response).unwrap();
    assert!(to.starts_with(&format!("{RP_REDIRECT}?")), "{to}");
    assert_eq!(query(&to)["error"], "request_not_supported");
}
// ---------------------------------------------------------------------------------------------
// Config OP plan
// ---------------------------------------------------------------------------------------------

/// oidcc-discovery-endpoint-verification (Config OP): the discovery document and the JWKS.
#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["issuer"],
        op.issuer.as_str(),
        "no trailing-slash mismatch"
    );
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            doc[endpoint]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}/", op.issuer)),
            "{endpoint}"
        );
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"RS256".into()));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    for key in [
        "subject_types_supported",
        "scopes_supported",
        "claims_supported",
        "grant_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        assert!(doc[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
    }
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // The openidconnect crate's discovery accepts it as a whole.
    op.metadata().await;
    let jwks = op.get_json("/jwks").await;
    for key in jwks["keys"].as_array().unwrap() {
        assert!(
            key["kid"].is_string() && key["use"] == "sig" && key["alg"].is_string(),
            "{key}"
        );
        assert!(key.get("d").is_none(), "no private part is ever published");
    }
}
