//! The validated runtime configuration: every value here has been checked once, at load.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use ipnet::IpNet;

use crate::prefix::PathPrefix;

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this configuration was read from.
    pub source: PathBuf,
    pub server: Server,
    pub tls: Option<Tls>,
    pub provider: Provider,
    pub session: Session,
    pub store: Store,
    pub mail: Mail,
    pub captcha: Captcha,
    pub helpdesk: Helpdesk,
    pub ui: Ui,
    pub login: Login,
    pub accounts: Accounts,
    pub mfa: Mfa,
    /// `[admin]`: who may use the console, and for what.
    pub admin: AdminRoles,
    /// `[[group]]`: the groups access rules may name and people may be granted.
    pub groups: Vec<Group>,
    pub routes: Vec<Route>,
    pub clients: Vec<Client>,
    /// `[[identity_provider]]`: upstream OpenID Connect providers people may log in with.
    pub identity_providers: Vec<IdentityProvider>,
}

impl Config {
    /// The upstream provider configured under `id`.
    pub fn identity_provider(&self, id: &str) -> Option<&IdentityProvider> {
        self.identity_providers.iter().find(|p| p.id == id)
    }
}

/// An upstream OpenID Connect provider (a national SSO such as INApas, an agency's directory)
/// whose users may log in here, once their identity there is linked to an OSS account.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    /// Letters, digits, `-` and `_`: in the callback's path and in every link it makes.
    pub id: String,
    /// The provider's name on its button ("Masuk dengan INApas").
    pub title: Localized,
    pub logo: Option<Asset>,
    /// Its issuer: discovery is read from `{issuer}/.well-known/openid-configuration`, and
    /// responses and ID tokens must name exactly this issuer.
    pub issuer: String,
    pub client_id: String,
    /// How Gerbang proves itself at the upstream's token endpoint.
    pub client_auth: UpstreamClientAuth,
    /// Asked for at every login; always holds `openid`.
    pub scopes: Vec<String>,
    /// Where in its claims the NIK is (`nik`, or a dotted path such as
    /// `identity_document.number`).
    pub nik_claim: Option<String>,
    /// Where in its claims a passport's number and its issuing country (ISO 3166 alpha-2)
    /// are, for providers that vouch for foreigners (both paths, or none).
    pub passport_claims: Option<PassportClaims>,
    /// Whether its `email_verified` is believed: then a matching e-mail may be offered for
    /// linking (still after proving the local account) and a new account needs no activation.
    pub trust_email_verified: bool,
    /// How its `acr` values map to Gerbang's strengths (unlisted values: a password's).
    pub acr: Vec<(String, Strength)>,
    /// How its `amr` values map to Gerbang's strengths; the strongest match counts.
    pub amr: Vec<(String, Strength)>,
    /// Whether a person it vouches for with no OSS account may register one from its claims.
    pub create_accounts: bool,
    /// Groups granted to an account when it is linked to this provider or registered through
    /// it (an agency's directory: its officials' group).
    pub groups: Vec<String>,
    /// Whether logging out everywhere also ends the upstream session (RP-initiated logout).
    pub end_upstream_session: bool,
    /// A PEM file of the certificate authorities its TLS certificate chains to, beside the
    /// system's (an agency's own CA).
    pub ca: Option<PathBuf>,
}

/// The claim paths of an asserted passport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportClaims {
    pub number: String,
    pub country: String,
}

/// How Gerbang authenticates as a client of an upstream provider.
#[derive(Debug, Clone)]
pub enum UpstreamClientAuth {
    /// The secret the upstream gave Gerbang (client_secret_basic, or _post where the upstream
    /// takes only that).
    Secret(Secret),
    /// A JWT signed with Gerbang's own signing keys, which the upstream reads from Gerbang's
    /// published JWK set (`private_key_jwt`): no shared secret to leak or rotate.
    PrivateKeyJwt,
}

/// An application that is itself a relying party of the provider.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    /// Shown to people: the consent page, "Masuk ke …" on the login page.
    pub name: Localized,
    /// `None` for a public client, which must use PKCE S256, or for one that authenticates
    /// with `private_key_jwt`.
    pub secret: Option<Secret>,
    /// Where the client publishes its public keys: it then authenticates with a JWT signed by
    /// one of them (`private_key_jwt`, RFC 7523) instead of a secret.
    pub jwks_uri: Option<String>,
    /// Compared by exact string match.
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Origins (`https://spa.example.id`) whose scripts may call the token, userinfo and
    /// revocation endpoints for this client (CORS): a browser-based client's own origin.
    pub web_origins: Vec<String>,
    pub scopes: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// Skips the consent page.
    pub first_party: bool,
    /// The groups the `groups` scope releases to this client: declared names, or prefixes
    /// ending in `*` (none by default: one app does not learn all of a user's memberships).
    pub groups: Vec<String>,
    /// A user must be in one of these groups to log in to this client (none: anyone).
    pub required_groups: Vec<String>,
    /// How this client's ID tokens are signed (OIDC client metadata of the same name).
    pub id_token_signed_response_alg: JwsAlg,
    /// How the access tokens issued to this client are signed (Keycloak's client setting of
    /// the same name): RS256 by default, which every resource server accepts; ES256 signs in a
    /// fraction of the time (docs/benchmarks.md).
    pub access_token_signed_response_alg: JwsAlg,
}

impl Client {
    /// A client with neither secret nor keys: it proves nothing but possession of its PKCE
    /// verifier.
    pub fn is_public(&self) -> bool {
        self.secret.is_none() && self.jwks_uri.is_none()
    }
}

/// The algorithms tokens are signed with. Unsigned (`none`) is not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JwsAlg {
    /// RS256, the interoperable default every relying party accepts.
    #[default]
    Rs256,
    Es256,
}

impl JwsAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::Rs256 => "RS256",
            JwsAlg::Es256 => "ES256",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

/// The scopes the provider knows. `address` is not among them: the OSS registration collects no
/// postal address, so there is nothing to release under it.
pub const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "offline_access",
    "identity_document",
    "groups",
    ADMIN_SCOPE,
];

#[derive(Debug, Clone)]
pub struct Server {
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub threads: usize,
    /// How long in-flight requests may finish after SIGTERM before the process exits.
    pub grace_period: Duration,
    pub shutdown_timeout: Duration,
    /// Peers whose `X-Forwarded-For` is kept and extended rather than replaced.
    pub trusted_proxies: Vec<IpAddr>,
    /// PEM bundle that TLS upstreams are verified against; the system's roots when absent.
    pub upstream_ca: Option<PathBuf>,
    /// The internal listener: `/metrics` (Prometheus), `/healthz`, `/readyz`. Unauthenticated,
    /// so keep it on loopback or a private network.
    pub internal: Option<SocketAddr>,
    /// Where `gerbang serve --upgrade` receives the listening sockets from the running process
    /// (see [`Config::upgrade_socket`]).
    pub upgrade_socket: Option<PathBuf>,
    /// The proxy in front that asks `/_gerbang/auth` (forward-auth); `None`: the endpoint is off.
    pub forward_auth: Option<FrontProxy>,
    /// How long a client may take to send a whole request head before it is disconnected.
    pub request_head_timeout: Duration,
    /// How many connections one client address (IPv6: its /64) may hold open at once;
    /// `trusted_proxies` are not counted.
    pub max_connections_per_address: usize,
}

/// A proxy that asks Gerbang whether each request may pass. Each sends the original request's
/// URI and host in its own headers; Gerbang reads exactly those, from `trusted_proxies` only,
/// and never another spelling (a client can add any header the proxy passes through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontProxy {
    /// nginx `auth_request`, with `proxy_set_header X-Original-URI $request_uri` and the
    /// original `Host`.
    Nginx,
    /// Traefik `forwardAuth`: `X-Forwarded-Uri` and `X-Forwarded-Host` (its `Host` is Gerbang's).
    Traefik,
    /// Caddy `forward_auth`: `X-Forwarded-Uri` and `X-Forwarded-Host`.
    Caddy,
}

impl Config {
    /// The socket of a zero-downtime upgrade: `server.upgrade_socket`, or beside a sled store.
    /// Never in a shared folder such as /tmp: whoever can connect to it is handed the listeners.
    pub fn upgrade_socket(&self) -> Option<PathBuf> {
        self.server
            .upgrade_socket
            .clone()
            .or_else(|| self.beside_sled_store("upgrade.sock"))
    }

    /// `:8443`, or empty for the scheme's default port: the public port of every host, as the
    /// issuer states it.
    pub fn public_port(&self) -> String {
        self.provider
            .issuer
            .port()
            .map(|p| format!(":{p}"))
            .unwrap_or_default()
    }

    /// `<store folder>.<suffix>`, a file beside a sled store, in the folder Gerbang owns;
    /// `None` with PostgreSQL, which has no folder here.
    pub fn beside_sled_store(&self, suffix: &str) -> Option<PathBuf> {
        let Store::Sled { path } = &self.store else {
            return None;
        };
        let mut name = path.file_name()?.to_os_string();
        name.push(".");
        name.push(suffix);
        Some(path.with_file_name(name))
    }
}

impl Server {
    /// Every listener address, for checks that hold for all of them.
    pub fn listeners(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.http.iter().chain(self.https.iter()).copied()
    }
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Make a self-signed certificate for `localhost` and `*.localhost` when the files are absent.
    pub generate_dev_cert: bool,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub issuer: Url,
    /// The issuer's host name, lower case, without port: the provider's route host.
    pub host: String,
    pub code_lifetime: Duration,
    pub access_token_lifetime: Duration,
    pub id_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
}

impl Provider {
    /// The longest a token the provider signs stays valid: how long a retired signing key must
    /// stay published.
    pub fn longest_token_lifetime(&self) -> Duration {
        self.access_token_lifetime.max(self.id_token_lifetime)
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    /// Key material for the gateway's encrypted cookies; generated and kept in the store if absent.
    pub cookie_secret: Option<Secret>,
}

#[derive(Debug, Clone)]
pub enum Store {
    /// The embedded default: one process.
    Sled { path: PathBuf },
    /// Shared by several instances.
    Postgres(Postgres),
}

/// A PostgreSQL store shared by several instances.
#[derive(Debug, Clone)]
pub struct Postgres {
    /// `postgres://user@host:port/database` (a secret: it may carry a password).
    pub url: Secret,
    /// The tables live in this schema when given, else in the server's search path.
    pub schema: Option<String>,
    /// Connections per instance.
    pub pool_size: usize,
    /// How long a caller waits for a connection, or for a new one to open, before failing.
    pub timeout: Duration,
    /// Apply pending migrations when the server starts; when false, `gerbang migrate` does it
    /// and a server refuses to start on another schema version.
    pub migrate_at_start: bool,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub transport: MailTransport,
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Each message written as an `.eml` file into a folder (the embedded default).
    Folder {
        path: PathBuf,
    },
    Smtp(Smtp),
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A CA certificate (PEM) to trust for this server besides the public roots, e.g. a
    /// company's own mail relay.
    pub ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: only for a mail server on loopback.
    None,
}

#[derive(Debug, Clone)]
pub struct Captcha {
    /// Fixed answer for automated tests; only accepted when every listener is on loopback.
    pub test_answer: Option<String>,
    pub lifetime: Duration,
}

/// Brute-force limits: after `max_failures` consecutive failures an account is locked for
/// `backoff_base`, doubling with each further failure up to `backoff_cap`; locks expire.
#[derive(Debug, Clone, Copy)]
pub struct Login {
    pub max_failures: u64,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub attempts_per_address_per_minute: u64,
    /// Password hashes computed at once (each argon2id takes 19 MiB and a core for ~50 ms);
    /// the rest of the cores stay free for proxying during a login flood.
    pub password_workers: usize,
}

/// How long the secrets of the account e-mails live.
#[derive(Debug, Clone, Copy)]
pub struct Accounts {
    /// The activation link of the first e-mail (default 24 h).
    pub activation_link_lifetime: Duration,
    /// The "Lupa Password?" reset link (default 60 min).
    pub reset_link_lifetime: Duration,
    /// The temporary password of the second e-mail, if never used (default 24 h).
    pub temporary_password_lifetime: Duration,
}

/// Second factors (`[mfa]`).
#[derive(Debug, Clone, Default)]
pub struct Mfa {
    /// Key material for sealing TOTP secrets at rest, kept out of the store. Required with
    /// PostgreSQL (every instance needs the same); on sled, a key file beside the store is made
    /// when absent.
    pub secret_key: Option<Secret>,
    /// Members of these groups must have a second factor: led through setting one up at their
    /// next login, and kept from every app once `grace` has passed since they were first asked.
    pub required_groups: Vec<String>,
    /// How long a person asked to set up a second factor may put it off (default 7 days).
    pub grace: Duration,
    /// The kinds of second factor people may set up and log in with (default: both).
    pub factors: Factors,
}

/// The kinds of second factor allowed (`[mfa] factors`); recovery codes come with either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    /// Authenticator apps (`"totp"`).
    pub totp: bool,
    /// Passkeys (`"passkey"`), as a second factor and to log in alone.
    pub passkey: bool,
}

impl Default for Factors {
    fn default() -> Self {
        Factors {
            totp: true,
            passkey: true,
        }
    }
}

impl Factors {
    /// The strongest login these factors can give.
    pub fn strongest(self) -> Strength {
        match (self.passkey, self.totp) {
            (true, _) => Strength::Passkey,
            (false, true) => Strength::TwoFactor,
            (false, false) => Strength::Password,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Helpdesk {
    pub text: Option<Localized>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    /// Shown to people: the home page's apps, "Masuk ke …" on the login page.
    pub title: Localized,
    pub host: HostPattern,
    /// Normalised: starts with `/`, no trailing `/` unless it is the root.
    pub path_prefix: String,
    pub upstreams: Vec<String>,
    pub upstream_tls: Option<UpstreamTls>,
    pub policy: Policy,
    pub forward: Forward,
    pub health_check: Duration,
    /// How long the upstream may take to accept a request's bytes or to send the next bytes
    /// of its answer before the client gets 504.
    pub upstream_timeout: Duration,
    /// Clients whose access tokens this route accepts as `Authorization: Bearer` (API calls).
    pub api_clients: Vec<String>,
    /// Whether `path_prefix` matches only in its own case (default: any ASCII case).
    pub case_sensitive: bool,
    /// Request headers the app trusts that no client may send (lower case), beside those the
    /// gateway always removes.
    pub strip_headers: Vec<String>,
    /// Who may reach what on this route.
    pub access: Access,
    /// The groups the app learns of (`X-Gerbang-Groups`, the identity JWT's `groups`): names,
    /// or prefixes ending in `*`. By default the groups its rules name.
    pub forward_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// `app.example.id`: this host only.
    Exact(String),
    /// `*.example.id`: any host ending in `.example.id` (one or more labels).
    Wildcard { suffix: String },
}

impl HostPattern {
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => h.eq_ignore_ascii_case(host),
            HostPattern::Wildcard { suffix } => {
                host.len() > suffix.len()
                    && host.is_char_boundary(host.len() - suffix.len())
                    && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            }
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(h) => f.write_str(h),
            HostPattern::Wildcard { suffix } => write!(f, "*{suffix}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct UpstreamTls {
    pub sni: String,
    pub verify: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Public,
    Authenticated,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forward {
    /// `X-Gerbang-User`, `X-Gerbang-Email`, … on each proxied request.
    pub headers: bool,
    /// `X-Gerbang-Identity`: a short-lived JWT signed by the provider, audience-bound to the route.
    pub jwt: bool,
}

/// A secret value; its `Debug` output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A text an operator writes for people to read, in Indonesian and optionally in English
/// (`{ id = "…", en = "…" }`; a plain string serves both). A language not given falls back
/// to Indonesian, the language every OSS page has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Localized {
    id: String,
    en: Option<String>,
}

impl Localized {
    /// The same text in every language.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            id: text.into(),
            en: None,
        }
    }

    pub fn new(id: impl Into<String>, en: Option<String>) -> Self {
        Self { id: id.into(), en }
    }

    /// The text for the language whose code is `lang` (`id`, `en`).
    pub fn get(&self, lang: &str) -> &str {
        match (lang, &self.en) {
            ("en", Some(en)) => en,
            _ => &self.id,
        }
    }
}

/// One text for every language.
impl From<&str> for Localized {
    fn from(text: &str) -> Self {
        Localized::plain(text)
    }
}

/// The Indonesian text (logs, the admin socket).
impl fmt::Display for Localized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// `[ui]`: how the pages look for the organisation that runs them.
#[derive(Debug, Clone)]
pub struct Ui {
    /// In every page's title ("Masuk · OSS") and its header when there is no logo.
    pub product_name: String,
    pub logo: Option<Asset>,
    pub favicon: Option<Asset>,
    /// Buttons and links; at least 4.5:1 on white (checked at load).
    pub primary_color: Option<Color>,
    /// Linked from the registration's terms box and every page's footer.
    pub terms_url: Option<Url>,
    pub privacy_url: Option<Url>,
    /// The zone the pages tell times in.
    pub time_zone: TimeZone,
}

impl Default for Ui {
    fn default() -> Self {
        Self {
            product_name: "Gerbang".into(),
            logo: None,
            favicon: None,
            primary_color: None,
            terms_url: None,
            privacy_url: None,
            time_zone: TimeZone::Wib,
        }
    }
}

/// Indonesia's three time zones (none keeps summer time): the pages tell times in one of them,
/// labelled as people read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeZone {
    /// Western Indonesia, UTC+7 (`Asia/Jakarta`, `Asia/Pontianak`).
    #[default]
    Wib,
    /// Central Indonesia, UTC+8 (`Asia/Makassar`).
    Wita,
    /// Eastern Indonesia, UTC+9 (`Asia/Jayapura`).
    Wit,
}

impl TimeZone {
    /// From an IANA zone name or the zone's label.
    pub fn named(name: &str) -> Option<TimeZone> {
        match name {
            "Asia/Jakarta" | "Asia/Pontianak" | "WIB" => Some(TimeZone::Wib),
            "Asia/Makassar" | "WITA" => Some(TimeZone::Wita),
            "Asia/Jayapura" | "WIT" => Some(TimeZone::Wit),
            _ => None,
        }
    }

    /// Seconds ahead of UTC.
    pub fn offset_secs(self) -> i32 {
        match self {
            TimeZone::Wib => 7 * 3600,
            TimeZone::Wita => 8 * 3600,
            TimeZone::Wit => 9 * 3600,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeZone::Wib => "WIB",
            TimeZone::Wita => "WITA",
            TimeZone::Wit => "WIT",
        }
    }
}

/// A picture read at load (a logo, a favicon), served by the provider as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub bytes: std::sync::Arc<[u8]>,
    pub content_type: &'static str,
}

/// An sRGB colour, `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub [u8; 3]);

impl Color {
    /// WCAG 2 contrast ratio with white (1 to 21).
    pub fn contrast_on_white(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0.map(linear);
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        1.05 / (luminance + 0.05)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// `[[group]]`: a group people may be granted, with the title they see.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub title: Localized,
    pub description: Option<Localized>,
    /// Members of these groups manage this one: they grant and revoke it, and only it (OSS's
    /// "hak akses turunan", delegated access rights).
    pub managers: Vec<String>,
}

/// The console's roles (`[admin]`), each a list of declared groups whose members hold it.
#[derive(Debug, Clone)]
pub struct AdminRoles {
    /// Everything: accounts, groups, keys.
    pub administrators: Vec<String>,
    /// Helpdesk: find and view accounts, and unstick them (unlock, resend the activation, send
    /// a reset link, reset second factors, end sessions, disable with a reason); not delete,
    /// not grant.
    pub helpdesk: Vec<String>,
    /// `[[admin.api_client]]`: the clients whose own (`client_credentials`) tokens may call
    /// the admin API, each with the roles of the groups it acts as a member of.
    pub api_clients: Vec<AdminApiClient>,
    /// How many account searches one operator (or API client) may make a minute, so a stolen
    /// operator session cannot page through every account quickly.
    pub searches_per_minute: u64,
}

/// A client that administers through the admin API (an OSS back office granting access
/// rights): it holds the roles a member of `groups` would.
#[derive(Debug, Clone)]
pub struct AdminApiClient {
    pub client: String,
    pub groups: Vec<String>,
}

/// The scope a token must carry to call the admin API, so a token meant for another API
/// (and seen by it) cannot administer.
pub const ADMIN_SCOPE: &str = "gerbang:admin";

/// What a rule does to the requests it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// How strongly a person proved who they are, weakest first (the session's `acr`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// User name and password (and the captcha where the login page asks for it).
    #[default]
    Password,
    /// A password and a second factor.
    TwoFactor,
    /// A passkey with user verification (WebAuthn): phishing-resistant, and two factors in
    /// itself (the device, and the PIN or biometric that unlocks it).
    Passkey,
}

impl Strength {
    /// Every strength, weakest first.
    pub const ALL: [Strength; 3] = [Strength::Password, Strength::TwoFactor, Strength::Passkey];

    /// The strength a config names (`acr = "two_factor"`).
    pub fn named(name: &str) -> Option<Strength> {
        match name {
            "password" => Some(Strength::Password),
            "two_factor" => Some(Strength::TwoFactor),
            "passkey" => Some(Strength::Passkey),
            _ => None,
        }
    }

    /// The name a config and the gateway's login path use (see [`Strength::named`]).
    pub fn name(self) -> &'static str {
        match self {
            Strength::Password => "password",
            Strength::TwoFactor => "two_factor",
            Strength::Passkey => "passkey",
        }
    }

    /// The `acr` value tokens carry and clients ask for (`acr_values`).
    pub fn acr(self) -> &'static str {
        match self {
            Strength::Password => "urn:gerbang:acr:password-captcha",
            Strength::TwoFactor => "urn:gerbang:acr:two-factor",
            Strength::Passkey => "urn:gerbang:acr:passkey",
        }
    }

    /// The strength an `acr` value stands for; `None` for a value Gerbang does not assert.
    pub fn from_acr(acr: &str) -> Option<Strength> {
        Strength::ALL.into_iter().find(|s| s.acr() == acr)
    }
}

/// One rule: every condition it names must hold, and within one condition any of its values
/// will do. A condition left out holds for every request.
#[derive(Debug, Clone)]
pub struct Rule {
    pub effect: Effect,
    /// Path prefixes, compared as the route compares its own.
    pub paths: Vec<PathPrefix>,
    /// Upper case.
    pub methods: Vec<String>,
    pub groups: Vec<String>,
    /// User names, lower case.
    pub users: Vec<String>,
    /// Lower case, without `@`.
    pub email_domains: Vec<String>,
    /// Blocks the real client address (behind `server.trusted_proxies`) must fall in.
    pub networks: Vec<IpNet>,
    /// The least strength the session must have.
    pub acr: Option<Strength>,
}

impl Rule {
    /// Whether the rule names anything about the person (so an anonymous visitor never
    /// matches it).
    pub fn needs_person(&self) -> bool {
        !self.groups.is_empty()
            || !self.users.is_empty()
            || !self.email_domains.is_empty()
            || self.acr.is_some()
    }

    /// Whether every request `later` matches, this rule matches too: then `later` is never
    /// used.
    pub fn covers(&self, later: &Rule) -> bool {
        fn all<T>(earlier: &[T], later: &[T], inside: impl Fn(&T, &T) -> bool) -> bool {
            earlier.is_empty()
                || (!later.is_empty() && later.iter().all(|l| earlier.iter().any(|e| inside(e, l))))
        }
        all(&self.paths, &later.paths, PathPrefix::covers)
            && all(&self.methods, &later.methods, |a, b| a == b)
            && all(&self.groups, &later.groups, |a, b| a == b)
            && all(&self.users, &later.users, |a, b| a == b)
            && all(&self.email_domains, &later.email_domains, |a, b| a == b)
            && all(&self.networks, &later.networks, |a, b| a.contains(b))
            && match (self.acr, later.acr) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => a <= b,
            }
    }
}

/// A route's rules and what happens to a request none of them matches.
#[derive(Debug, Clone)]
pub struct Access {
    pub rules: Vec<Rule>,
    /// `deny` for an authenticated route with rules, `allow` for one without and for a public
    /// route, unless `default_access` says otherwise.
    pub default: Effect,
}

/// Whether `group` is one of `patterns`: a name, or a prefix ending in `*`
/// (`pejabat-*` covers `pejabat-dpmptsp-3273`).
pub fn group_visible(patterns: &[String], group: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => group.starts_with(prefix),
        None => p == group,
    })
}
