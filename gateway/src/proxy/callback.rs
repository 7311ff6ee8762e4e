//! `/_gerbang/callback`: the gateway, as a relying party of its provider (the `openidconnect`
//! crate), exchanges the code over the provider's internal loopback listener, verifies the ID
//! token (signature, issuer, audience, expiry, nonce) and opens a gateway session.

use std::sync::Arc;

use gerbang_config::Strength;
use gerbang_idp::protocol::grant::AccessClaims;
use gerbang_idp::protocol::jwt;
use gerbang_idp::provider::Provider;
use openidconnect::core::{CoreClient, CoreIdTokenClaims, CoreIdTokenVerifier};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeVerifier, RedirectUrl, TokenResponse, TokenUrl,
};

use super::login::{PendingLogin, CALLBACK_PATH, GATEWAY_CLIENT_ID};
use super::session::Identity;

type GatewayClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("the provider answered with an error: {0}")]
    Denied(String),
    #[error("the response came from another issuer")]
    WrongIssuer,
    #[error("the code exchange failed: {0}")]
    Exchange(String),
    #[error("the ID token does not verify: {0}")]
    IdToken(String),
    #[error("the provider's configuration is unusable: {0}")]
    Setup(String),
}

pub struct RelyingParty {
    client: GatewayClient,
    http: reqwest::Client,
    provider: Arc<Provider>,
}

impl RelyingParty {
    /// `token_url` is the provider's token endpoint on its internal listener.
    pub fn new(provider: Arc<Provider>, token_url: String) -> Result<RelyingParty, CallbackError> {
        let setup = |e: &dyn std::fmt::Display| CallbackError::Setup(e.to_string());
        let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| setup(&e))?;
        let client = CoreClient::new(
            ClientId::new(GATEWAY_CLIENT_ID.into()),
            issuer,
            provider.keys.current().jwks(),
        )
        .set_client_secret(ClientSecret::new(provider.gateway_secret.clone()))
        .set_auth_uri(AuthUrl::new(provider.url("/authorize")).map_err(|e| setup(&e))?)
        .set_token_uri(TokenUrl::new(token_url).map_err(|e| setup(&e))?);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| setup(&e))?;
        Ok(RelyingParty {
            client,
            http,
            provider,
        })
    }

    /// Finishes a login: the callback's query parameters and the pending login of its state.
    pub async fn finish(
        &self,
        params: &[(String, String)],
        pending: PendingLogin,
        public_origin: &str,
        lifetime_secs: u64,
        now: u64,
    ) -> Result<Identity, CallbackError> {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(error) = get("error") {
            return Err(CallbackError::Denied(error.to_string()));
        }
        // RFC 9207: the response names its issuer; a mix-up is refused.
        if get("iss").is_some_and(|iss| iss != self.provider.issuer) {
            return Err(CallbackError::WrongIssuer);
        }
        let code = get("code").ok_or_else(|| CallbackError::Exchange("no code".into()))?;
        let redirect = RedirectUrl::new(format!("{public_origin}{CALLBACK_PATH}"))
            .map_err(|e| CallbackError::Exchange(e.to_string()))?;
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| CallbackError::Exchange(e.to_string()))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| CallbackError::IdToken("none in the response".into()))?;
        // The keys published now: a key rotated in since start-up signs too (the client's own
        // verifier holds the keys it was made with).
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            self.client.client_id().clone(),
            ClientSecret::new(self.provider.gateway_secret.clone()),
            IssuerUrl::new(self.provider.issuer.clone())
                .map_err(|e| CallbackError::Setup(e.to_string()))?,
            self.provider.keys.current().jwks(),
        );
        let claims: &CoreIdTokenClaims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|e| CallbackError::IdToken(e.to_string()))?;
        let access: AccessClaims = jwt::verify(
            &self.provider.keys.current(),
            tokens.access_token().secret(),
        )
        .map_err(|e| CallbackError::IdToken(e.to_string()))?;
        let sid: [u8; 32] = rand::random();
        Ok(Identity {
            client: None,
            machine: false,
            sid: sid.iter().map(|b| format!("{b:02x}")).collect(),
            sub: claims.subject().to_string(),
            username: claims
                .preferred_username()
                .map(|u| u.to_string())
                .unwrap_or_else(|| claims.subject().to_string()),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            email: claims.email().map(|e| e.to_string()),
            phone: claims.phone_number().map(|p| p.to_string()),
            provider_session: access.sid,
            auth_time: claims
                .auth_time()
                .map_or(now, |t| t.timestamp().max(0) as u64),
            strength: claims
                .auth_context_ref()
                .and_then(|acr| Strength::from_acr(acr))
                .unwrap_or_default(),
            expires_at: now + lifetime_secs,
            seen_at: Some(now),
            headers: Default::default(),
            signed: Default::default(),
            resealed: Default::default(),
        })
    }
}
