//! Logout against the RP-initiated and back-channel logout plans of
//! `shared/checklists/oidc-provider.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser::location;
use gerbang_tests::op::*;

// ---------------------------------------------------------------------------------------------
// RP-initiated logout plan
// ---------------------------------------------------------------------------------------------

/// What a GET /logout did: its status, where it redirected, whether the session lives on.
#[derive(Debug, PartialEq, Eq)]
struct LogoutOutcome {
    status: u16,
    location: Option<String>,
    logged_in: bool,
}

impl LogoutOutcome {
    /// Redirected to `to`, session over.
    fn redirected(to: &str) -> LogoutOutcome {
        LogoutOutcome {
            status: 302,
            location: Some(to.into()),
            logged_in: false,
        }
    }

    /// A page (no redirect) with `status`; the session lives on only if `logged_in`.
    fn page(status: u16, logged_in: bool) -> LogoutOutcome {
        LogoutOutcome {
            status,
            location: None,
            logged_in,
        }
    }
}

/// Logs in, sends GET /logout with `params(id_token)`, and tells what came of it.
async fn logout_outcome(
    params: impl FnOnce(String) -> Vec<(&'static str, String)>,
) -> (Op, LogoutOutcome) {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let response = op.logout(params(hint)).await;
    let outcome = LogoutOutcome {
        status: response.status().as_u16(),
        location: location(&response),
        logged_in: op.still_logged_in(&client).await,
    };
    (op, outcome)
}

/// After a GET that only asked, confirming ends the session.
async fn assert_confirmation_ends_the_session(op: &Op, state: &str) {
    let done = op.confirm_logout(state).await;
    assert_eq!(
        done.status(),
        200,
        "no URI to go back to: the logged-out page"
    );
    assert!(!op.still_logged_in(&op.client().await).await);
}

const BYE: &str = "https://rp.test/bye";

/// oidcc-rp-initiated-logout: a valid hint and a registered URI: back there with the state, and
/// the session is over.
#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", BYE.into()),
            ("state", "s9".into()),
        ]
    })
    .await;
    assert_eq!(
        outcome,
        LogoutOutcome::redirected("https://rp.test/bye?state=s9")
    );
}

/// oidcc-rp-initiated-logout-bad-id-token-hint: an error page, no redirect, session kept.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    let (_, outcome) = logout_outcome(|_| {
        vec![
            ("id_token_hint", "not-a-token".into()),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(400, true));
}

/// oidcc-rp-initiated-logout-modified-id-token-hint: a tampered hint is refused the same way.
#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let (_, outcome) = logout_outcome(|mut forged| {
        forged.replace_range(forged.len() - 6.., "AAAAAA");
        vec![
            ("id_token_hint", forged),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(400, true));
}

/// oidcc-rp-initiated-logout-no-id-token-hint: without a hint nobody can be sent anywhere; the
/// user is asked, and confirming ends the session.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let (op, outcome) = logout_outcome(|_| {
        vec![
            ("post_logout_redirect_uri", BYE.into()),
            ("state", "s".into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(200, true), "a GET only asks");
    assert_confirmation_ends_the_session(&op, "s").await;
}

/// oidcc-rp-initiated-logout-no-params: a confirmation page; the session lives until confirmed.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    let (op, outcome) = logout_outcome(|_| vec![]).await;
    assert_eq!(outcome, LogoutOutcome::page(200, true));
    assert_confirmation_ends_the_session(&op, "").await;
}

/// A hint that is ours but names another session (an earlier login's ID token, or another
/// user's) does not end this one without asking: the link may come from anywhere (issue 16,
/// item 8). A confirmation posted from another site is refused.
#[tokio::test]
async fn a_hint_for_another_session_only_asks() {
    let op = Op::start().await;
    let client = op.client().await;
    let old_hint = op.hint(&client).await;
    op.logout(vec![("id_token_hint", old_hint.clone())]).await;
    assert!(!op.still_logged_in(&client).await, "its own hint ended it");
    op.log_in_tokens(&client).await;
    let asked = op.logout(vec![("id_token_hint", old_hint)]).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("method=\"post\""));
    assert!(op.still_logged_in(&client).await, "an old hint only asks");
    let cross_site = op
        .browser
        .post(format!("{}/logout", op.issuer))
        .header("origin", "https://evil.test")
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert!(
        op.still_logged_in(&client).await,
        "a cross-site post is refused"
    );
    assert_confirmation_ends_the_session(&op, "").await;
}

/// oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the logged-out page; session over.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| vec![("id_token_hint", hint)]).await;
    assert_eq!(outcome, LogoutOutcome::page(200, false));
}

/// oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered URI is not followed;
/// the logged-out page, and the session is over.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "https://evil.test/".into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(200, false));
}

/// oidcc-rp-initiated-logout-no-state: the registered URI exactly, nothing added.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::redirected(BYE));
}

/// oidcc-rp-initiated-logout-only-state: asked to confirm; the confirmation ends the session.
#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let (op, outcome) = logout_outcome(|_| vec![("state", "only".into())]).await;
    assert_eq!(
        outcome,
        LogoutOutcome::page(200, true),
        "a GET without a hint only asks"
    );
    assert_confirmation_ends_the_session(&op, "only").await;
}

/// oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a registered URI with a
/// query keeps it, and the state is added to it.
#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", format!("{BYE}?from=gerbang")),
            ("state", "s9".into()),
        ]
    })
    .await;
    assert_eq!(
        outcome,
        LogoutOutcome::redirected("https://rp.test/bye?from=gerbang&state=s9")
    );
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout
// ---------------------------------------------------------------------------------------------

/// oidcc-backchannel-rp-initiated-logout: the RP receives a well-formed, signed logout token.
#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout() {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let sid = jwt_part(&hint, 1)["sid"].as_str().unwrap().to_string();
    op.logout(vec![("id_token_hint", hint)]).await;
    let token = op.next_logout_token().await;
    let header = jwt_part(&token, 0);
    assert_eq!(header["typ"], "logout+jwt");
    let jwks = op.get_json("/jwks").await;
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"]));
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["iss"], op.issuer.as_str());
    assert_eq!(claims["aud"], RP);
    assert_eq!(claims["sid"], sid.as_str());
    assert!(claims["sub"].is_string() && claims["jti"].is_string() && claims["iat"].is_number());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
}

/// A client whose back-channel endpoint is down (the `down` client of every test here) does
/// not hold up the user's logout, nor the delivery to the others.
#[tokio::test]
async fn backchannel_logout_with_a_client_down_does_not_block() {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let started = std::time::Instant::now();
    let page = op.logout(vec![("id_token_hint", hint)]).await;
    assert_eq!(page.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the logout page waited for deliveries: {:?}",
        started.elapsed()
    );
    op.next_logout_token().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !op.gw.logs().contains("back-channel logout not delivered") {
        assert!(
            std::time::Instant::now() < deadline,
            "the failed delivery is logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The logged-out page is no dead end (issue 21, item 4): "Masuk lagi", and back to the app
/// at its registered post-logout address, by its name.
#[tokio::test]
async fn the_logged_out_page_leads_back_in_and_to_the_app() {
    let (op, outcome) = logout_outcome(|hint| vec![("id_token_hint", hint)]).await;
    assert_eq!(outcome, LogoutOutcome::page(200, false));
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let page = op
        .logout(vec![("id_token_hint", hint)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<a href=\"/login\">Masuk lagi</a>"), "{page}");
    assert!(
        page.contains("<a href=\"https://rp.test/bye\">Kembali ke rp</a>"),
        "{page}"
    );
}

/// The login page names the app it logs in to: a client by its configured name.
#[tokio::test]
async fn the_login_page_names_the_client() {
    let op = Op::start().await;
    let page = op
        .login_page(&format!("{}/authorize?client_id=partner&response_type=code&scope=openid&state=s&redirect_uri=https%3A%2F%2Fpartner.test%2Fcb", op.issuer))
        .await;
    assert!(page.contains("<h1>Masuk ke Mitra</h1>"), "{page}");
}
