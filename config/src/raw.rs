//! The configuration file as written: serde structs that refuse unknown keys and keep the
//! position of every value that validation may need to point at.

use serde::Deserialize;
use toml::Spanned;

pub(crate) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub server: S<RawServer>,
    pub tls: Option<S<RawTls>>,
    pub provider: S<RawProvider>,
    #[serde(default)]
    pub session: RawSession,
    #[serde(default)]
    pub store: RawStore,
    pub mail: Option<S<RawMail>>,
    #[serde(default)]
    pub captcha: RawCaptcha,
    #[serde(default)]
    pub helpdesk: RawHelpdesk,
    #[serde(default)]
    pub ui: RawUi,
    #[serde(default)]
    pub login: RawLogin,
    #[serde(default)]
    pub accounts: RawAccounts,
    #[serde(default)]
    pub mfa: RawMfa,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default, rename = "group")]
    pub groups: Vec<S<RawGroup>>,
    #[serde(default, rename = "route")]
    pub routes: Vec<S<RawRoute>>,
    #[serde(default, rename = "client")]
    pub clients: Vec<S<RawClient>>,
    #[serde(default, rename = "identity_provider")]
    pub identity_providers: Vec<S<RawIdentityProvider>>,
}

/// `[[identity_provider]]`: an upstream OpenID Connect provider people may log in with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdentityProvider {
    pub id: S<String>,
    pub title: RawText,
    pub logo: Option<S<String>>,
    pub issuer: S<String>,
    pub client_id: S<String>,
    pub client_secret: Option<S<RawSecret>>,
    pub client_auth: Option<S<String>>,
    pub scopes: Option<Vec<S<String>>>,
    pub nik_claim: Option<S<String>>,
    pub passport_claim: Option<S<String>>,
    pub passport_country_claim: Option<S<String>>,
    #[serde(default)]
    pub trust_email_verified: bool,
    #[serde(default)]
    pub acr: std::collections::BTreeMap<String, S<String>>,
    #[serde(default)]
    pub amr: std::collections::BTreeMap<String, S<String>>,
    #[serde(default)]
    pub create_accounts: bool,
    #[serde(default)]
    pub groups: Vec<S<String>>,
    #[serde(default)]
    pub end_upstream_session: bool,
    pub ca: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClient {
    pub id: S<String>,
    pub name: Option<RawText>,
    pub secret: Option<S<RawSecret>>,
    pub jwks_uri: Option<S<String>>,
    #[serde(default)]
    pub redirect_uris: Vec<S<String>>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<S<String>>,
    pub backchannel_logout_uri: Option<S<String>>,
    #[serde(default)]
    pub web_origins: Vec<S<String>>,
    pub scopes: Option<Vec<S<String>>>,
    pub grant_types: Option<Vec<S<String>>>,
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub groups: Vec<S<String>>,
    #[serde(default)]
    pub required_groups: Vec<S<String>>,
    pub id_token_signed_response_alg: Option<S<String>>,
    pub access_token_signed_response_alg: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub http: Option<S<String>>,
    pub https: Option<S<String>>,
    pub threads: Option<S<i64>>,
    pub grace_period_secs: Option<S<i64>>,
    pub shutdown_timeout_secs: Option<S<i64>>,
    #[serde(default)]
    pub trusted_proxies: Vec<S<String>>,
    pub upstream_ca: Option<S<String>>,
    pub internal: Option<S<String>>,
    pub upgrade_socket: Option<S<String>>,
    pub forward_auth: Option<S<String>>,
    pub request_head_timeout_secs: Option<S<i64>>,
    pub max_connections_per_address: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTls {
    pub cert: S<String>,
    pub key: S<String>,
    #[serde(default)]
    pub generate_dev_cert: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProvider {
    pub issuer: S<String>,
    pub code_lifetime_secs: Option<S<i64>>,
    pub access_token_lifetime_secs: Option<S<i64>>,
    pub id_token_lifetime_secs: Option<S<i64>>,
    pub refresh_token_lifetime_hours: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSession {
    pub idle_timeout_mins: Option<S<i64>>,
    pub absolute_timeout_hours: Option<S<i64>>,
    pub cookie_secret: Option<S<RawSecret>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMfa {
    pub secret_key: Option<S<RawSecret>>,
    #[serde(default)]
    pub required_groups: Vec<S<String>>,
    pub grace_days: Option<S<i64>>,
    pub factors: Option<S<Vec<S<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub backend: Option<S<String>>,
    pub path: Option<S<String>>,
    pub url: Option<S<RawSecret>>,
    pub schema: Option<S<String>>,
    pub pool_size: Option<S<i64>>,
    pub timeout_secs: Option<S<i64>>,
    pub migrate_at_start: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMail {
    pub from: S<String>,
    pub transport: S<RawTransport>,
    pub folder: Option<S<String>>,
    pub smtp: Option<S<RawSmtp>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawTransport {
    Folder,
    Smtp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSmtp {
    pub host: S<String>,
    pub port: Option<S<i64>>,
    #[serde(default)]
    pub security: Option<S<String>>,
    pub username: Option<S<String>>,
    pub password: Option<S<RawSecret>>,
    pub ca: Option<S<String>>,
}

/// A text people read: one for every language, or one per language.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawText {
    Plain(String),
    PerLanguage(RawPerLanguage),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerLanguage {
    pub id: String,
    pub en: Option<String>,
}

/// `[ui]`: the pages' branding.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUi {
    pub product_name: Option<S<String>>,
    pub logo: Option<S<String>>,
    pub favicon: Option<S<String>>,
    pub primary_color: Option<S<String>>,
    pub terms_url: Option<S<String>>,
    pub privacy_url: Option<S<String>>,
    pub time_zone: Option<S<String>>,
}

/// A secret written in the file, or the name of an environment variable holding it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawSecret {
    Literal(String),
    Env { env: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCaptcha {
    pub test_answer: Option<S<String>>,
    pub lifetime_secs: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHelpdesk {
    pub text: Option<RawText>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub name: S<String>,
    pub host: S<String>,
    pub path_prefix: Option<S<String>>,
    pub upstreams: S<Vec<S<String>>>,
    pub policy: S<String>,
    #[serde(default)]
    pub forward: Vec<S<String>>,
    pub upstream_tls: Option<S<RawUpstreamTls>>,
    pub health_check_secs: Option<S<i64>>,
    pub upstream_timeout_secs: Option<S<i64>>,
    #[serde(default)]
    pub api_clients: Vec<S<String>>,
    pub title: Option<RawText>,
    #[serde(default)]
    pub case_sensitive: bool,
    #[serde(default)]
    pub strip_headers: Vec<S<String>>,
    /// `[[route.rule]]`: who may reach what, first match wins.
    #[serde(default, rename = "rule")]
    pub rules: Vec<S<RawRule>>,
    pub default_access: Option<S<String>>,
    pub forward_groups: Option<Vec<S<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstreamTls {
    pub sni: S<String>,
    #[serde(default = "yes")]
    pub verify: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccounts {
    pub activation_link_hours: Option<S<i64>>,
    pub reset_link_minutes: Option<S<i64>>,
    pub temporary_password_hours: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogin {
    pub max_failures: Option<S<i64>>,
    pub backoff_base_secs: Option<S<i64>>,
    pub backoff_cap_secs: Option<S<i64>>,
    pub attempts_per_address_per_minute: Option<S<i64>>,
    pub password_workers: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroup {
    pub name: S<String>,
    pub title: Option<RawText>,
    pub description: Option<RawText>,
    #[serde(default)]
    pub managers: Vec<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    #[serde(default)]
    pub administrators: Vec<S<String>>,
    #[serde(default)]
    pub helpdesk: Vec<S<String>>,
    #[serde(default, rename = "api_client")]
    pub api_clients: Vec<S<RawApiClient>>,
    pub searches_per_minute: Option<S<i64>>,
}

/// `[[admin.api_client]]`: a client whose own tokens may call the admin API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiClient {
    pub client: S<String>,
    #[serde(default)]
    pub groups: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub effect: S<String>,
    #[serde(default)]
    pub paths: Vec<S<String>>,
    #[serde(default)]
    pub methods: Vec<S<String>>,
    #[serde(default)]
    pub groups: Vec<S<String>>,
    #[serde(default)]
    pub users: Vec<S<String>>,
    #[serde(default)]
    pub email_domains: Vec<S<String>>,
    #[serde(default)]
    pub networks: Vec<S<String>>,
    pub acr: Option<S<String>>,
}
