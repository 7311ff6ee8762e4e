//! Authentication at the gateway: the login callback, logout, and the identity an upstream
//! receives. The session check itself (`Auth::identity`) is answered from memory.

use std::sync::Arc;

use cookie::Key;
use gerbang_idp::access::visible_groups;
use gerbang_idp::clock::now;
use gerbang_idp::cookie_header;
use gerbang_idp::keys::SigningAlg;
use gerbang_idp::protocol::grant::AccessClaims;
use gerbang_idp::protocol::jwt;
use gerbang_idp::provider::Provider;
use gerbang_idp::revocation::Revoked;
use gerbang_idp::store::{Proven, Session};
use gerbang_idp::web::gateway_pages::GatewayPage;
use http::HeaderValue;
use pingora::http::{RequestHeader, StaticHeaderName};
use serde::Serialize;

use super::access::MembershipCache;
use super::bearer::{self, VerifiedTokens};
use super::callback::RelyingParty;
use super::identity_jwt;
use super::login::{pending_cookie_name, read_pending, safe_return_path};
use super::remembered::Remembered;
use super::session::{self, Activity, Identity, Revocations};
use super::{header_str, headers, Response};

/// The gateway's own paths on every route host.
pub const LOGOUT_PATH: &str = "/_gerbang/logout";

/// What every listener's gateway shares to authenticate requests.
pub struct Auth {
    pub provider: Arc<Provider>,
    pub rp: RelyingParty,
    pub revocations: Arc<Revocations>,
    /// Every user's groups, for the routes' access rules.
    pub memberships: Arc<MembershipCache>,
    pub cookie_key: Key,
    pub session_lifetime: u64,
    /// The idle timeout of browser sessions.
    pub activity: Activity,
    /// Bearer tokens whose signature already verified.
    pub verified: VerifiedTokens,
    /// Session cookies already opened.
    pub sessions: Remembered<Identity>,
}

#[derive(Serialize)]
struct IdentityClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    auth_time: u64,
    /// The user's groups the route may see.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    groups: &'a [&'a str],
}

impl Auth {
    /// The live identity a request's session cookie carries. The cookie is opened once and
    /// remembered; expiry and revocation are checked on every request.
    pub fn identity(&self, req: &RequestHeader) -> Option<Arc<Identity>> {
        let raw = cookie_header::value(header_str(req, http::header::COOKIE)?, session::COOKIE)?;
        let now = now();
        let identity = self.sessions.get_or_check(raw, now, |raw| {
            session::open_identity(raw, &self.cookie_key)
        })?;
        session::is_live(&identity, &self.revocations, self.activity, now).then_some(identity)
    }

    /// The `Set-Cookie` that records a browser session's activity, when its cookie's record is
    /// more than [`Activity::granularity`] old (once a minute at most per session).
    pub fn activity_cookie(&self, identity: &Identity) -> Option<String> {
        let now = now();
        if identity.machine
            || identity.client.is_some()
            || !self.activity.needs_refresh(identity, now)
        {
            return None;
        }
        let remaining = identity.expires_at.saturating_sub(now);
        let granularity = self.activity.granularity();
        identity.resealed.get_or_seal(now, granularity, || {
            session::cookie_for(&identity.seen(now), &self.cookie_key, remaining)
        })
    }

    /// The identity of an API call with `Authorization: Bearer <access token>` from one of the
    /// route's `api_clients`: the signature verified against the provider's keys (once per
    /// token, then remembered), then issuer, expiry, client and revocation on every request.
    /// No store round trip.
    pub fn bearer(
        &self,
        req: &RequestHeader,
        route: &crate::routes::Route,
    ) -> Option<Arc<Identity>> {
        if route.api_clients.is_empty() {
            return None;
        }
        let token = header_str(req, http::header::AUTHORIZATION)?
            .strip_prefix("Bearer ")?
            .trim();
        let now = now();
        let verified = self.verified.get_or_check(token, now, |token| {
            jwt::verify::<AccessClaims>(&self.provider.keys.current(), token)
                .ok()
                .map(bearer::Verified::new)
        })?;
        bearer::accept(
            &verified,
            &self.provider.issuer,
            &route.api_clients,
            &self.revocations,
            now,
        )
    }

    /// `/_gerbang/callback`: finish the login and send the user where they were going.
    pub async fn callback(&self, req: &RequestHeader, origin: &str) -> Response {
        let params: Vec<(String, String)> = req
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let state = params
            .iter()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let pending =
            header_str(req, "cookie").and_then(|c| read_pending(c, state, &self.cookie_key));
        let Some(pending) = pending else {
            return Response::page(400, GatewayPage::LoginExpired);
        };
        let return_to = safe_return_path(&pending.return_to).to_string();
        let now = now();
        let identity = match self
            .rp
            .finish(&params, pending, origin, self.session_lifetime, now)
            .await
        {
            Ok(identity) => identity,
            Err(e) => {
                tracing::warn!(error = %e, "login callback refused");
                return Response::page(400, GatewayPage::LoginExpired);
            }
        };
        let record = Session {
            upstream: None,
            id_hash: gerbang_idp::session::hash(&identity.sid),
            user_id: identity.sub.clone(),
            created_at: now,
            last_seen: now,
            expires_at: identity.expires_at,
            auth_time: identity.auth_time,
            audience: format!("gateway:{origin}"),
            device: None,
            parent: identity.provider_session.clone(),
            clients: Vec::new(),
            proven: Proven::of_strength(identity.strength),
        };
        if let Err(e) = self.provider.store.put_session(&record).await {
            tracing::error!(error = %e, "cannot record a gateway session");
            return Response::error_page(503);
        }
        let Some(cookie) = session::cookie_for(&identity, &self.cookie_key, self.session_lifetime)
        else {
            return Response::error_page(500);
        };
        let mut response = Response::redirect(302, return_to);
        response.headers.push(("set-cookie", cookie));
        response
            .headers
            .push(("set-cookie", session::removal(&pending_cookie_name(state))));
        response
    }

    /// `/_gerbang/logout`: GET asks for confirmation; POST from the app host's own page
    /// (`origin`) ends the gateway session and the provider session it came from, which ends
    /// every other app's session too.
    pub async fn logout(&self, req: &RequestHeader, confirmed: bool, origin: &str) -> Response {
        if !confirmed {
            return Response::page(
                200,
                GatewayPage::LogoutConfirm {
                    action: LOGOUT_PATH,
                },
            );
        }
        if !gerbang_idp::web::posted_from(&req.headers, origin) {
            return Response::error_page(403);
        }
        let mut response = Response::redirect(303, "/".into());
        response
            .headers
            .push(("set-cookie", session::removal(session::COOKIE)));
        let Some(identity) = self.identity(req) else {
            return response;
        };
        let gateway_session = Revoked::GatewaySession(&identity.sid);
        let (now, until) = (now(), now() + self.session_lifetime);
        // This instance refuses the session at once; the others learn it from the store, so a
        // logout the store did not take is not answered as done.
        self.revocations.add([(gateway_session.key(), until)], now);
        let mut recorded = self.provider.store.revoke(gateway_session, until).await;
        // Ending the provider session ends this user's session at every app, here through the
        // revocation feed and at OIDC clients through back-channel logout.
        if let Some(provider_session) = &identity.provider_session {
            self.revocations
                .add([(Revoked::Session(provider_session).key(), until)], now);
            let sub = &identity.sub;
            recorded = recorded.and(
                gerbang_idp::logout::end_session(&self.provider, provider_session, sub, None).await,
            );
        }
        match recorded {
            Ok(()) => response,
            Err(e) => {
                tracing::error!(error = %e, "cannot record a logout");
                Response::error_page(503)
            }
        }
    }

    /// The identity headers an upstream receives on `route`, as the route asks; `None` when
    /// the identity cannot be sent (see [`Identity::headers`]).
    pub fn upstream_headers(
        &self,
        identity: &Identity,
        route: &crate::routes::Route,
    ) -> Option<Vec<(StaticHeaderName, HeaderValue)>> {
        let (forward, now) = (route.forward, now());
        let mut out = Vec::with_capacity(6);
        // The user's groups this route may see, held now (looked up only when it sees some).
        let held = (!route.forward_groups.is_empty() && !identity.machine)
            .then(|| self.memberships.of(&identity.sub))
            .flatten();
        let groups: Vec<&str> = held
            .as_deref()
            .map(|held| visible_groups(held, &route.forward_groups, now).collect())
            .unwrap_or_default();
        if forward.headers {
            out.extend(identity.headers()?.iter().cloned());
            if !groups.is_empty() {
                let value = HeaderValue::try_from(groups.join(",")).ok()?;
                out.push((headers::X_GERBANG_GROUPS, value));
            }
        }
        if forward.jwt {
            let signed = identity
                .signed
                .get_or_sign(&route.name, &groups, now, |now| {
                    let claims = IdentityClaims {
                        iss: &self.provider.issuer,
                        sub: &identity.sub,
                        aud: &route.name,
                        iat: now,
                        exp: now + identity_jwt::LIFETIME,
                        preferred_username: (!identity.machine)
                            .then_some(identity.username.as_str()),
                        client_id: identity.client.as_deref(),
                        email: identity.email.as_deref(),
                        name: identity.name.as_deref(),
                        auth_time: identity.auth_time,
                        groups: &groups,
                    };
                    let keys = self.provider.keys.current();
                    match jwt::sign(&keys, SigningAlg::Es256, "JWT", &claims, now) {
                        Ok(token) => HeaderValue::try_from(token).ok(),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot sign the identity JWT");
                            None
                        }
                    }
                });
            out.push((headers::X_GERBANG_IDENTITY, signed?));
        }
        Some(out)
    }
}
