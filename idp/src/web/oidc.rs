//! Discovery, JWKS, authorization, token and userinfo endpoints.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::{json, Value};

use super::html;
use super::i18n::{Lang, Text};
use super::second_factor;
use super::{cors, header_str, pages, redirect, OwnForm};
use crate::account::claims;
use crate::account::consent;
use crate::assurance;
use crate::audit::AuditKind;
use crate::client_auth;
use crate::clock::now;
use crate::flows::passkey;
use crate::flows::second_step::{self, Pending};
use crate::protocol::authorize::{self, AuthorizationRequest, AuthorizeError};
use crate::protocol::client::ClientCredentials;
use crate::protocol::client_assertion;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::session;
use crate::store::{Session, User};
use crate::tokens;
use gerbang_config::Strength;

pub async fn discovery(State(p): State<Arc<Provider>>) -> Response {
    cors::open(Json(json!({
        "issuer": p.issuer,
        "authorization_endpoint": p.url("/authorize"),
        "token_endpoint": p.url("/token"),
        "userinfo_endpoint": p.url("/userinfo"),
        "jwks_uri": p.url("/jwks"),
        "end_session_endpoint": p.url("/logout"),
        "introspection_endpoint": p.url("/introspect"),
        "revocation_endpoint": p.url("/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": gerbang_config::SUPPORTED_SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "name", "preferred_username",
            "birthdate", "gender", "locale", "email", "email_verified", "phone_number", "phone_number_verified", "identity_document"],
        "acr_values_supported": Strength::ALL.map(Strength::acr),
        "ui_locales_supported": ["id", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })).into_response())
}

pub async fn jwks(State(p): State<Arc<Provider>>) -> Response {
    cors::open(
        (
            [(header::CONTENT_TYPE, "application/json")],
            Json(p.keys.current().jwks()),
        )
            .into_response(),
    )
}

pub async fn authorize_get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    authorize(&p, &headers, &params).await
}

pub async fn authorize_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    authorize(&p, &headers, &params).await
}

fn lang_of(headers: &HeaderMap, ui_locales: Option<&str>) -> Lang {
    Lang::choose(ui_locales, header_str(headers, header::ACCEPT_LANGUAGE))
}

async fn authorize(
    p: &Provider,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Response {
    let lang = lang_of(headers, params.get("ui_locales").map(String::as_str));
    let request = match authorize::validate(params, &p.clients()) {
        Ok(r) => r,
        Err(AuthorizeError::Page(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                html(
                    p,
                    pages::error(lang, Text::BadRequest, &p.config().helpdesk),
                ),
            )
                .into_response();
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
        }) => {
            return redirect(&authorize::response_url(
                &redirect_uri,
                &p.issuer,
                Err(&error),
                state.as_deref(),
            ));
        }
    };
    let now = now();
    let current = match header_str(headers, header::COOKIE).and_then(session::from_cookie_header) {
        Some(value) => session::current(p.store.as_ref(), value, p.session_lifetimes(), now)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let fresh_enough = |s: &Session| request.max_age.is_none_or(|max| now <= s.auth_time + max);
    match current {
        Some((session, user)) if !request.prompt_login && fresh_enough(&session) => {
            complete(p, &request, &session, &user, now).await
        }
        _ if request.prompt_none => {
            let error = OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in");
            redirect(&back_to_client(p, &request, Err(&error)))
        }
        _ => {
            let sealed = p
                .requests
                .seal(&serde_json::to_vec(&request).unwrap_or_default());
            redirect(&format!(
                "/login?request={sealed}&ui_locales={}",
                lang.code()
            ))
        }
    }
}

/// Where the browser goes back to the client with `outcome` (a code or an error).
fn back_to_client(
    p: &Provider,
    request: &AuthorizationRequest,
    outcome: Result<&str, &OAuthError>,
) -> String {
    authorize::response_url(
        &request.redirect_uri,
        &p.issuer,
        outcome,
        request.state.as_deref(),
    )
}

/// A client that requires membership of one of its groups, and a user in none of them: a
/// page that says why, whose link returns `access_denied` to the client (at once for
/// `prompt=none`). `None` when the user may go on.
async fn outside_required_groups(
    p: &Provider,
    request: &AuthorizationRequest,
    user: &User,
    now: u64,
) -> Option<Response> {
    let client = p.clients().get(&request.client_id)?;
    if client.required_groups.is_empty() {
        return None;
    }
    // A store that cannot answer lets nobody in.
    let held = p.store.memberships(&user.id).await.unwrap_or_default();
    let member = held
        .iter()
        .any(|m| m.holds(now) && client.required_groups.contains(&m.group));
    if member {
        return None;
    }
    let denied = OAuthError::new(
        ErrorCode::AccessDenied,
        "the user is in none of the groups this client requires",
    );
    let back = back_to_client(p, request, Err(&denied));
    if request.prompt_none {
        return Some(redirect(&back));
    }
    let lang = Lang::choose(request.ui_locales.first().map(String::as_str), None);
    let name = client.name.get(lang.code());
    let page = pages::client_refused(lang, &user.username, name, &back, &p.config().helpdesk);
    Some((StatusCode::FORBIDDEN, html(p, page)).into_response())
}

/// A session weaker than the request's `acr_values` ask (see `assurance::asked_strength`): the
/// second step for a user who has a factor, asking only for it (the password stays proven);
/// setting one up for a user who has none; `interaction_required` for `prompt=none`. `None`
/// when the session is strong enough.
async fn weaker_than_asked(
    p: &Provider,
    request: &AuthorizationRequest,
    session: &Session,
    user: &User,
) -> Option<Response> {
    let asked = assurance::asked_strength(request.acr_values.as_deref())?;
    // No more than the allowed factors can give: a client asking for a passkey where none may
    // be made gets the strongest login there is (its token says which).
    let asked = asked.min(p.config().mfa.factors.strongest());
    if session.proven.strength() >= asked {
        return None;
    }
    if request.prompt_none {
        let error = OAuthError::new(
            ErrorCode::InteractionRequired,
            "the session is weaker than the acr_values asked for",
        );
        return Some(redirect(&back_to_client(p, request, Err(&error))));
    }
    let lang = Lang::choose(request.ui_locales.first().map(String::as_str), None);
    let sealed = p
        .requests
        .seal(&serde_json::to_vec(request).unwrap_or_default());
    if asked == Strength::Passkey {
        return Some(match passkey::has_one(p, user).await {
            Ok(true) => {
                second_factor::ask(p, lang, &Pending::step_up(session, &sealed, true)).await
            }
            Ok(false) => super::passkey::enrol_for(p, lang, user, &sealed).await,
            Err(e) => super::unavailable(p, lang, e),
        });
    }
    Some(match second_step::needed(p, user).await {
        Ok(true) => second_factor::ask(p, lang, &Pending::step_up(session, &sealed, false)).await,
        Ok(false) => second_factor::enrol_for(p, lang, user, &sealed).await,
        Err(e) => super::unavailable(p, lang, e),
    })
}

/// A person the `[mfa]` policy asks for a second factor whose grace is over: no app until
/// they set one up (the set-up page, then on to the app; `interaction_required` for
/// `prompt=none`). `None` when the policy lets them through.
async fn policy_keeps_out(
    p: &Provider,
    request: &AuthorizationRequest,
    user: &User,
) -> Option<Response> {
    if p.config().mfa.required_groups.is_empty() {
        return None;
    }
    let lang = Lang::choose(request.ui_locales.first().map(String::as_str), None);
    let sealed = p
        .requests
        .seal(&serde_json::to_vec(request).unwrap_or_default());
    let page = second_factor::required_of(p, lang, user, &sealed, true).await?;
    if request.prompt_none {
        let error = OAuthError::new(
            ErrorCode::InteractionRequired,
            "the account must set up a second factor first",
        );
        return Some(redirect(&back_to_client(p, request, Err(&error))));
    }
    Some(page)
}

/// `POST /authorize/resume`: a request that waited on one of the provider's pages (the
/// recovery codes of an app set up for a step-up) goes on with the browser's session.
pub async fn resume(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let Some(request) = super::login::pending(&p, form.field("request")) else {
        let page = pages::error(form.lang, Text::BadRequest, &p.config().helpdesk);
        return (StatusCode::BAD_REQUEST, html(&p, page)).into_response();
    };
    match super::home::current(&p, &headers).await {
        Some((session, user)) => complete(&p, &request, &session, &user, now()).await,
        None => redirect(&format!(
            "/login?request={}&ui_locales={}",
            form.field("request"),
            form.lang.code()
        )),
    }
}

/// Sends a logged-in user back to the client with a code, after asking for consent where the
/// client is not first-party and the user has not agreed to these scopes yet.
pub async fn complete(
    p: &Provider,
    request: &AuthorizationRequest,
    session: &Session,
    user: &User,
    now: u64,
) -> Response {
    let back = |outcome| redirect(&back_to_client(p, request, outcome));
    if let Some(refused) = outside_required_groups(p, request, user, now).await {
        return refused;
    }
    if let Some(required) = policy_keeps_out(p, request, user).await {
        return required;
    }
    if let Some(stepping_up) = weaker_than_asked(p, request, session, user).await {
        return stepping_up;
    }
    if let Some(client) = p
        .clients()
        .get(&request.client_id)
        .filter(|c| !c.first_party)
    {
        let given = consent::given(p.store.as_ref(), &user.id, &client.id, &request.scopes, now)
            .await
            .unwrap_or(false);
        if request.prompt_consent || !given {
            if request.prompt_none {
                return back(Err(&OAuthError::new(
                    ErrorCode::ConsentRequired,
                    "the user has not agreed to these scopes",
                )));
            }
            let lang = Lang::choose(request.ui_locales.first().map(String::as_str), None);
            let sealed = p
                .requests
                .seal(&serde_json::to_vec(request).unwrap_or_default());
            return html(
                p,
                pages::consent(
                    lang,
                    client.name.get(lang.code()),
                    &user.username,
                    &request.scopes,
                    &sealed,
                ),
            )
            .into_response();
        }
    }
    match tokens::issue_code(p, request, user, session, now).await {
        Ok(code) => back(Ok(&code)),
        Err(e) => back(Err(&e)),
    }
}

/// The consent form's answer.
pub async fn consent_answer(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&headers, form.get("ui_locales").map(String::as_str));
    let now = now();
    let request: Option<AuthorizationRequest> = form
        .get("request")
        .and_then(|r| p.requests.open(r))
        .and_then(|b| serde_json::from_slice(&b).ok());
    let current = match header_str(&headers, header::COOKIE).and_then(session::from_cookie_header) {
        Some(value) => session::current(p.store.as_ref(), value, p.session_lifetimes(), now)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let (Some(request), Some((session, user)), true) =
        (request, current, super::same_origin(&p, &headers))
    else {
        return (
            StatusCode::BAD_REQUEST,
            html(
                &p,
                pages::error(lang, Text::BadRequest, &p.config().helpdesk),
            ),
        )
            .into_response();
    };
    if form.get("decision").map(String::as_str) != Some("allow") {
        let error = OAuthError::new(ErrorCode::AccessDenied, "the user did not allow access");
        return redirect(&back_to_client(&p, &request, Err(&error)));
    }
    if let Err(e) = consent::remember(
        p.store.as_ref(),
        &user.id,
        &request.client_id,
        &request.scopes,
        now,
    )
    .await
    {
        tracing::error!(error = %e, "cannot record a consent");
    }
    let request = AuthorizationRequest {
        prompt_consent: false,
        ..request
    };
    complete(&p, &request, &session, &user, now).await
}

/// How the client authenticated: `Authorization: Basic`, or the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<ClientCredentials> {
    if let Some(basic) =
        header_str(headers, header::AUTHORIZATION).and_then(|h| h.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return Some(ClientCredentials::Basic {
            id: unescape(id)?,
            secret: unescape(secret)?,
        });
    }
    let id = form.get("client_id")?.clone();
    Some(match form.get("client_secret") {
        Some(secret) => ClientCredentials::Post {
            id,
            secret: secret.clone(),
        },
        None => ClientCredentials::Public { id },
    })
}

fn oauth_error(e: &OAuthError) -> Response {
    let status = match e.error {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = (status, Json(e)).into_response();
    if e.error == ErrorCode::InvalidClient {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"gerbang\""),
        );
    }
    if e.error == ErrorCode::InvalidToken {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

pub async fn token(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let client = match authenticated_client(&p, "/token", &headers, &form).await {
        Ok(c) => c,
        Err(e) => return oauth_error(&e),
    };
    let cors = |response| cors::for_client(&headers, Some(&client), response);
    let result = async {
        let now = now();
        let get = |k: &str| form.get(k).map(String::as_str);
        let response = match get("grant_type") {
            Some("authorization_code") => {
                let code = get("code").ok_or_else(|| {
                    OAuthError::new(ErrorCode::InvalidRequest, "code is required")
                })?;
                tokens::exchange_code(
                    &p,
                    &client,
                    code,
                    get("redirect_uri"),
                    get("code_verifier"),
                    now,
                )
                .await
            }
            Some("refresh_token") => {
                let token = get("refresh_token").ok_or_else(|| {
                    OAuthError::new(ErrorCode::InvalidRequest, "refresh_token is required")
                })?;
                tokens::refresh(&p, &client, token, now).await
            }
            Some("client_credentials") => {
                tokens::client_credentials(&p, &client, get("scope"), now).await
            }
            Some(_) => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not offered",
            )),
            None => Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "grant_type is required",
            )),
        };
        let kind = get("grant_type").unwrap_or("-");
        match &response {
            Ok(_) => {
                p.audit(AuditKind::TokenIssued, None, Some(&client.id), None, kind)
                    .await
            }
            Err(e) => {
                p.audit(
                    AuditKind::TokenRefused,
                    None,
                    Some(&client.id),
                    None,
                    &format!("{kind}: {}", e.error.as_str()),
                )
                .await
            }
        }
        response
    }
    .await;
    cors(match result {
        Ok(tokens) => Json(tokens).into_response(),
        Err(e) => oauth_error(&e),
    })
}

/// The client a token-endpoint-style request to `path` authenticates as: with a secret
/// (Basic or in the form), a `private_key_jwt` assertion, or only its id (a public client).
async fn authenticated_client(
    p: &Provider,
    path: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Arc<gerbang_config::Client>, OAuthError> {
    let basic = header_str(headers, header::AUTHORIZATION).is_some_and(|h| h.starts_with("Basic "));
    let assertion = form.get("client_assertion");
    let methods = usize::from(basic)
        + usize::from(form.contains_key("client_secret"))
        + usize::from(assertion.is_some());
    if methods > 1 {
        // RFC 6749 section 2.3: one authentication method per request.
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "use one client authentication method, not two",
        ));
    }
    if let Some(assertion) = assertion {
        if form.get("client_assertion_type").map(String::as_str)
            != Some(client_assertion::JWT_BEARER)
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let claimed = form.get("client_id").map(String::as_str);
        return client_auth::by_assertion(p, assertion, claimed, &p.url(path), now()).await;
    }
    let credentials = client_credentials(headers, form).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::InvalidClient,
            "client authentication is required",
        )
    })?;
    p.clients().authenticate(&credentials)
}

/// The authenticated client and the `token` of an introspection or revocation request.
async fn client_and_token<'a>(
    p: &'a Provider,
    path: &str,
    headers: &HeaderMap,
    form: &'a HashMap<String, String>,
) -> Result<(Arc<gerbang_config::Client>, &'a str), OAuthError> {
    let client = authenticated_client(p, path, headers, form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidRequest, "token is required"))?;
    Ok((client, token))
}

pub async fn introspect(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match client_and_token(&p, "/introspect", &headers, &form).await {
        Ok((client, token)) => match tokens::introspect(&p, &client, token, now()).await {
            Ok(answer) => Json(answer).into_response(),
            Err(e) => oauth_error(&e),
        },
        Err(e) => oauth_error(&e),
    }
}

pub async fn revoke(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (client, token) = match client_and_token(&p, "/revoke", &headers, &form).await {
        Ok(found) => found,
        Err(e) => return oauth_error(&e),
    };
    let response = match tokens::revoke(&p, &client, token, now()).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(&e),
    };
    cors::for_client(&headers, Some(&client), response)
}

pub async fn userinfo_get(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    userinfo(&p, &headers, None).await
}

/// POST userinfo: the token in the `Authorization` header, or as `access_token` in a form body.
pub async fn userinfo_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form_token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    userinfo(&p, &headers, form_token.as_deref()).await
}

async fn userinfo(p: &Provider, headers: &HeaderMap, form_token: Option<&str>) -> Response {
    let token = header_str(headers, header::AUTHORIZATION)
        .and_then(|h| h.strip_prefix("Bearer "))
        .or(form_token);
    let Some(token) = token else {
        return oauth_error(&OAuthError::new(ErrorCode::InvalidToken, "no access token"));
    };
    let claims = match tokens::verify_access_token(p, token.trim(), now()).await {
        Ok(c) => c,
        Err(e) => return oauth_error(&e),
    };
    let user = match p.store.user(&claims.sub).await {
        Ok(Some(u)) => u,
        _ => {
            return oauth_error(&OAuthError::new(
                ErrorCode::InvalidToken,
                "the token's user is gone",
            ))
        }
    };
    let scopes: Vec<String> = claims.scope.split(' ').map(str::to_string).collect();
    let client = p.clients().get(&claims.client_id);
    let groups = match &client {
        Some(c) => match tokens::released_groups(p, c, &user.id, &scopes, now()).await {
            Ok(groups) => groups,
            Err(e) => return oauth_error(&e),
        },
        None => Vec::new(),
    };
    let mut body = claims::for_scopes(&user, &scopes, &groups);
    body.insert("sub".into(), user.id.into());
    cors::for_client(
        headers,
        client.as_deref(),
        Json(Value::Object(body)).into_response(),
    )
}
