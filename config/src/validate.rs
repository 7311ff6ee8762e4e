//! From the file as written to the runtime configuration: every check, every problem collected.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::model::*;
use crate::problem::{Problem, SourceMap};
use crate::raw::*;

/// Where validation looks up environment variables (the process environment, or a test's map).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) struct Checker<'a> {
    map: SourceMap<'a>,
    base_dir: &'a Path,
    env: EnvLookup<'a>,
    pub(crate) problems: Vec<Problem>,
}

const SECRET_ENV_PREFIX: &str = "GERBANG_";

impl<'a> Checker<'a> {
    pub(crate) fn new(source: &'a str, base_dir: &'a Path, env: EnvLookup<'a>) -> Self {
        Self {
            map: SourceMap::new(source),
            base_dir,
            env,
            problems: Vec::new(),
        }
    }

    pub(crate) fn report(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let problem = self.map.problem(span, key, message);
        self.problems.push(problem);
    }

    /// Checks a whole file; `None` when any problem was found.
    pub(crate) fn config(&mut self, raw: RawConfig, source: PathBuf) -> Option<Config> {
        let server = self.server(&raw.server);
        let tls = raw.tls.as_ref().and_then(|t| self.tls(t));
        let provider = self.provider(&raw.provider);
        let session = self.session(&raw.session);
        let store = self.store(&raw.store);
        let mail = self.mail(raw.mail.as_ref());
        let captcha = self.captcha(&raw.captcha, server.as_ref());
        let login = self.login(&raw.login);
        let accounts = self.accounts(&raw.accounts);
        let store_span = raw.store.backend.as_ref().map_or(0..0, |b| b.span());
        let ui = self.ui(&raw.ui);
        let groups = self.groups(&raw.groups);
        let mfa = self.mfa(&raw.mfa, store.as_ref(), store_span, &groups);
        // A wrong name is reported (and then no configuration is made at all).
        let mut roles = |names, key| self.group_names(names, key, &groups).unwrap_or_default();
        let mut admin = AdminRoles {
            administrators: roles(&raw.admin.administrators, "admin.administrators"),
            helpdesk: roles(&raw.admin.helpdesk, "admin.helpdesk"),
            api_clients: Vec::new(),
            searches_per_minute: self
                .int_in(
                    raw.admin.searches_per_minute.as_ref(),
                    "admin.searches_per_minute",
                    1..=10_000,
                    30,
                )
                .unwrap_or(30) as u64,
        };
        let strongest = mfa
            .as_ref()
            .map_or(Strength::Passkey, |m| m.factors.strongest());
        let routes: Vec<Option<Route>> = raw
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| self.route(i, r, &groups, strongest))
            .collect();

        if let Some(server) = &server {
            self.listeners_and_tls(&raw, server, tls.as_ref());
        }
        if let Some(provider) = &provider {
            self.route_conflicts(&raw.routes, &routes, provider);
        }

        let routes: Vec<Route> = routes.into_iter().flatten().collect();
        let clients = self.clients(&raw.clients, &groups);
        self.api_clients_known(&raw.routes, &clients);
        admin.api_clients = self.admin_api_clients(&raw.admin.api_clients, &clients, &groups);
        let identity_providers = self.identity_providers(&raw.identity_providers, &groups);
        if !self.problems.is_empty() {
            return None;
        }
        Some(Config {
            source,
            server: server?,
            tls,
            provider: provider?,
            session: session?,
            store: store?,
            mail: mail?,
            captcha: captcha?,
            login: login?,
            accounts: accounts?,
            mfa: mfa?,
            admin,
            helpdesk: Helpdesk {
                text: raw.helpdesk.text.as_ref().map(Localized::from),
                phones: raw.helpdesk.phones,
                emails: raw.helpdesk.emails,
            },
            ui: ui?,
            groups,
            routes,
            clients,
            identity_providers,
        })
    }

    /// HTTPS and the `[tls]` table go together, and a development certificate only on loopback.
    fn listeners_and_tls(&mut self, raw: &RawConfig, server: &Server, tls: Option<&Tls>) {
        if server.https.is_some() && raw.tls.is_none() {
            let span = raw.server.get_ref().https.as_ref().map(|h| h.span());
            self.report(
                span.unwrap_or(raw.server.span()),
                "server.https",
                "an HTTPS listener needs a [tls] table with `cert` and `key`",
            );
        }
        if raw.tls.is_some() && server.https.is_none() {
            self.report(
                raw.tls.as_ref().map_or(0..0, |t| t.span()),
                "tls",
                "a [tls] table is given but no `server.https` listener uses it",
            );
        }
        if let (Some(tls), Some(raw_tls)) = (tls, &raw.tls) {
            if tls.generate_dev_cert && !server.listeners().all(|a| a.ip().is_loopback()) {
                self.report(
                    raw_tls.span(),
                    "tls.generate_dev_cert",
                    "a self-signed development certificate is only allowed when every listener is on loopback",
                );
            }
        }
    }

    /// Every client a route accepts bearer tokens of is a configured client.
    fn api_clients_known(&mut self, routes: &[S<RawRoute>], clients: &[Client]) {
        for (i, route) in routes.iter().enumerate() {
            for c in &route.get_ref().api_clients {
                if !clients.iter().any(|known| &known.id == c.get_ref()) {
                    self.report(
                        c.span(),
                        format!("route[{i}].api_clients"),
                        format!("`{}` is not a configured [[client]] id", c.get_ref()),
                    );
                }
            }
        }
    }

    /// `[[admin.api_client]]`: each a configured client that may use `client_credentials`
    /// and may be granted the admin scope, acting as a member of declared groups.
    fn admin_api_clients(
        &mut self,
        raw: &[S<RawApiClient>],
        clients: &[Client],
        groups: &[Group],
    ) -> Vec<AdminApiClient> {
        let mut found = Vec::new();
        for (i, entry) in raw.iter().enumerate() {
            let entry = entry.get_ref();
            let key = format!("admin.api_client[{i}].client");
            let id = entry.client.get_ref();
            let problem = match clients.iter().find(|c| &c.id == id) {
                None => Some(format!("`{id}` is not a configured [[client]] id")),
                Some(c) if !c.grant_types.contains(&GrantType::ClientCredentials) => Some(format!(
                    "client `{id}` must have \"client_credentials\" in its grant_types"
                )),
                Some(c) if !c.scopes.iter().any(|s| s == ADMIN_SCOPE) => Some(format!(
                    "client `{id}` must have \"{ADMIN_SCOPE}\" in its scopes"
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                self.report(entry.client.span(), key, problem);
                continue;
            }
            let groups_key = format!("admin.api_client[{i}].groups");
            if let Some(names) = self.group_names(&entry.groups, &groups_key, groups) {
                found.push(AdminApiClient {
                    client: id.clone(),
                    groups: names,
                });
            }
        }
        found
    }

    fn server(&mut self, raw: &S<RawServer>) -> Option<Server> {
        let s = raw.get_ref();
        let http = s
            .http
            .as_ref()
            .and_then(|a| self.listen_addr(a, "server.http"));
        let https = s
            .https
            .as_ref()
            .and_then(|a| self.listen_addr(a, "server.https"));
        if s.http.is_none() && s.https.is_none() {
            self.report(
                raw.span(),
                "server",
                "no listener: set `http = \"127.0.0.1:8080\"` and/or `https = \"127.0.0.1:8443\"`",
            );
        }
        let threads = self.int_in(s.threads.as_ref(), "server.threads", 1..=256, 2)?;
        let grace = self.int_in(
            s.grace_period_secs.as_ref(),
            "server.grace_period_secs",
            0..=3600,
            10,
        )?;
        let timeout = self.int_in(
            s.shutdown_timeout_secs.as_ref(),
            "server.shutdown_timeout_secs",
            1..=3600,
            30,
        )?;
        let trusted_proxies = self.trusted_proxies(s);
        let upstream_ca = s.upstream_ca.as_ref().map(|ca| {
            let path = self.path(ca.get_ref());
            self.pem_file(ca, &path, "server.upstream_ca", &["CERTIFICATE"]);
            path
        });
        let internal = s
            .internal
            .as_ref()
            .and_then(|a| self.listen_addr(a, "server.internal"));
        let head_timeout = self.int_in(
            s.request_head_timeout_secs.as_ref(),
            "server.request_head_timeout_secs",
            1..=3600,
            60,
        )?;
        let per_address = self.int_in(
            s.max_connections_per_address.as_ref(),
            "server.max_connections_per_address",
            1..=1_000_000,
            256,
        )?;
        let forward_auth = self.forward_auth(s);
        if (s.http.is_some() && http.is_none())
            || (s.https.is_some() && https.is_none())
            || (s.internal.is_some() && internal.is_none())
        {
            return None;
        }
        Some(Server {
            http,
            https,
            threads: threads as usize,
            grace_period: Duration::from_secs(grace as u64),
            shutdown_timeout: Duration::from_secs(timeout as u64),
            trusted_proxies,
            upstream_ca,
            internal,
            upgrade_socket: s.upgrade_socket.as_ref().map(|p| self.path(p.get_ref())),
            forward_auth,
            request_head_timeout: Duration::from_secs(head_timeout as u64),
            max_connections_per_address: per_address as usize,
        })
    }

    /// The addresses whose forwarding headers are believed.
    fn trusted_proxies(&mut self, s: &RawServer) -> Vec<IpAddr> {
        let mut trusted_proxies = Vec::new();
        for (i, p) in s.trusted_proxies.iter().enumerate() {
            match p.get_ref().parse::<IpAddr>() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => self.report(
                    p.span(),
                    format!("server.trusted_proxies[{i}]"),
                    format!("`{}` is not an IP address", p.get_ref()),
                ),
            }
        }
        trusted_proxies
    }

    /// The proxy in front that asks `/_gerbang/auth`, if any: named, and trusted.
    fn forward_auth(&mut self, s: &RawServer) -> Option<FrontProxy> {
        s.forward_auth.as_ref().and_then(|f| {
            let proxy = match f.get_ref().as_str() {
                "nginx" => FrontProxy::Nginx,
                "traefik" => FrontProxy::Traefik,
                "caddy" => FrontProxy::Caddy,
                other => {
                    self.report(
                        f.span(),
                        "server.forward_auth",
                        format!("`{other}` is not a proxy Gerbang answers: use \"nginx\", \"traefik\" or \"caddy\""),
                    );
                    return None;
                }
            };
            if s.trusted_proxies.is_empty() {
                self.report(
                    f.span(),
                    "server.forward_auth",
                    "forward-auth answers only the proxy in front: list its address in server.trusted_proxies",
                );
            }
            Some(proxy)
        })
    }

    fn listen_addr(&mut self, raw: &S<String>, key: &str) -> Option<SocketAddr> {
        let text = raw.get_ref();
        let parsed = text.parse::<SocketAddr>().ok().or_else(|| {
            // `localhost:8443` is common enough to accept; it means loopback.
            text.strip_prefix("localhost:")
                .and_then(|port| port.parse::<u16>().ok())
                .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
        });
        if parsed.is_none() {
            self.report(
                raw.span(),
                key,
                format!("`{text}` is not a listen address: write IP:PORT, e.g. \"127.0.0.1:8443\" or \"[::]:443\""),
            );
        }
        parsed
    }

    /// An optional integer in a range, or its default; reports and returns `None` when outside.
    fn int_in(
        &mut self,
        raw: Option<&S<i64>>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> Option<i64> {
        let Some(raw) = raw else { return Some(default) };
        let value = *raw.get_ref();
        if range.contains(&value) {
            Some(value)
        } else {
            self.report(
                raw.span(),
                key,
                format!(
                    "{value} is out of range: use a value from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }

    pub(crate) fn path(&self, raw: &str) -> PathBuf {
        let p = Path::new(raw);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    fn tls(&mut self, raw: &S<RawTls>) -> Option<Tls> {
        let t = raw.get_ref();
        let cert = self.path(t.cert.get_ref());
        let key = self.path(t.key.get_ref());
        let both_missing = !cert.exists() && !key.exists();
        if !(t.generate_dev_cert && both_missing) {
            self.pem_file(&t.cert, &cert, "tls.cert", &["CERTIFICATE"]);
            self.pem_file(
                &t.key,
                &key,
                "tls.key",
                &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
            );
        }
        Some(Tls {
            cert,
            key,
            generate_dev_cert: t.generate_dev_cert,
        })
    }

    pub(crate) fn pem_file(&mut self, raw: &S<String>, path: &Path, key: &str, labels: &[&str]) {
        let what = labels[0].to_lowercase();
        match std::fs::read_to_string(path) {
            Err(e) => self.report(
                raw.span(),
                key,
                format!("cannot read {}: {e}", path.display()),
            ),
            Ok(text) => {
                let found = labels
                    .iter()
                    .any(|label| text.contains(&format!("-----BEGIN {label}-----")));
                if !found {
                    self.report(
                        raw.span(),
                        key,
                        format!("{} holds no PEM {what}", path.display()),
                    );
                }
            }
        }
    }

    fn provider(&mut self, raw: &S<RawProvider>) -> Option<Provider> {
        let p = raw.get_ref();
        let issuer = match Url::parse(p.issuer.get_ref()) {
            Ok(url)
                if url.scheme() == "https"
                    && url.host_str().is_some()
                    && url.query().is_none()
                    && url.fragment().is_none() =>
            {
                Some(url)
            }
            _ => {
                self.report(
                    p.issuer.span(),
                    "provider.issuer",
                    format!(
                        "`{}` is not an https URL without query or fragment, e.g. \"https://sso.example.id\"",
                        p.issuer.get_ref()
                    ),
                );
                None
            }
        };
        let code = self.int_in(
            p.code_lifetime_secs.as_ref(),
            "provider.code_lifetime_secs",
            5..=60,
            60,
        );
        let access = self.int_in(
            p.access_token_lifetime_secs.as_ref(),
            "provider.access_token_lifetime_secs",
            30..=3600,
            300,
        );
        let id = self.int_in(
            p.id_token_lifetime_secs.as_ref(),
            "provider.id_token_lifetime_secs",
            30..=3600,
            300,
        );
        let refresh = self.int_in(
            p.refresh_token_lifetime_hours.as_ref(),
            "provider.refresh_token_lifetime_hours",
            1..=24 * 90,
            24 * 7,
        );
        let issuer = issuer?;
        let host = issuer.host_str().unwrap_or_default().to_ascii_lowercase();
        Some(Provider {
            host,
            issuer,
            code_lifetime: Duration::from_secs(code? as u64),
            access_token_lifetime: Duration::from_secs(access? as u64),
            id_token_lifetime: Duration::from_secs(id? as u64),
            refresh_token_lifetime: Duration::from_secs(refresh? as u64 * 3600),
        })
    }

    /// `[mfa]`: the secret key, long enough, and there whenever several instances share a store;
    /// the groups that must have a second factor, each declared; the grace period.
    fn mfa(
        &mut self,
        raw: &RawMfa,
        store: Option<&Store>,
        store_span: Range<usize>,
        groups: &[Group],
    ) -> Option<Mfa> {
        let required_groups = self.group_names(&raw.required_groups, "mfa.required_groups", groups);
        let grace_days = self.int_in(raw.grace_days.as_ref(), "mfa.grace_days", 0..=90, 7);
        let factors = self.factors(raw.factors.as_ref());
        let secret_key = match &raw.secret_key {
            None => None,
            Some(s) => {
                let secret = self.secret(s, "mfa.secret_key")?;
                if secret.expose().len() < 32 {
                    self.report(
                        s.span(),
                        "mfa.secret_key",
                        "the second-factor key must be at least 32 characters: generate one with `openssl rand -base64 48`",
                    );
                }
                Some(secret)
            }
        };
        if secret_key.is_none() && matches!(store, Some(Store::Postgres(_))) {
            self.report(
                store_span,
                "mfa.secret_key",
                "the PostgreSQL store needs `[mfa] secret_key` (every instance seals second-factor secrets with the same key, which the database must not hold): set it, e.g. `secret_key = { env = \"GERBANG_MFA_KEY\" }`",
            );
        }
        Some(Mfa {
            secret_key,
            required_groups: required_groups?,
            grace: Duration::from_secs(grace_days? as u64 * 86_400),
            factors: factors?,
        })
    }

    /// `[mfa] factors`: `"totp"`, `"passkey"` or both (the default), none other, not empty.
    fn factors(&mut self, raw: Option<&S<Vec<S<String>>>>) -> Option<Factors> {
        let Some(raw) = raw else {
            return Some(Factors::default());
        };
        let mut factors = Factors {
            totp: false,
            passkey: false,
        };
        let mut ok = true;
        for name in raw.get_ref() {
            match name.get_ref().as_str() {
                "totp" => factors.totp = true,
                "passkey" => factors.passkey = true,
                other => {
                    let why = format!("`{other}` is not `totp` or `passkey`");
                    self.report(name.span(), "mfa.factors", &why);
                    ok = false;
                }
            }
        }
        if ok && !factors.totp && !factors.passkey {
            let why = "name at least one kind of second factor (`totp`, `passkey`), or leave the key out for both";
            self.report(raw.span(), "mfa.factors", why);
            ok = false;
        }
        ok.then_some(factors)
    }

    fn session(&mut self, raw: &RawSession) -> Option<Session> {
        let idle = self.int_in(
            raw.idle_timeout_mins.as_ref(),
            "session.idle_timeout_mins",
            1..=24 * 60,
            30,
        )?;
        let absolute = self.int_in(
            raw.absolute_timeout_hours.as_ref(),
            "session.absolute_timeout_hours",
            1..=24 * 30,
            12,
        )?;
        if idle > absolute * 60 {
            let span = raw.idle_timeout_mins.as_ref().map_or(0..0, |s| s.span());
            self.report(
                span,
                "session.idle_timeout_mins",
                "the idle timeout is longer than the absolute timeout: make it shorter",
            );
        }
        let cookie_secret = match &raw.cookie_secret {
            None => None,
            Some(s) => {
                let secret = self.secret(s, "session.cookie_secret")?;
                if secret.expose().len() < 32 {
                    self.report(
                        s.span(),
                        "session.cookie_secret",
                        "the cookie secret must be at least 32 characters: generate one with `openssl rand -base64 48` or leave it out to have one kept in the store",
                    );
                }
                Some(secret)
            }
        };
        Some(Session {
            idle_timeout: Duration::from_secs(idle as u64 * 60),
            absolute_timeout: Duration::from_secs(absolute as u64 * 3600),
            cookie_secret,
        })
    }

    pub(crate) fn secret(&mut self, raw: &S<RawSecret>, key: &str) -> Option<Secret> {
        match raw.get_ref() {
            RawSecret::Literal(value) => Some(Secret::new(value.clone())),
            RawSecret::Env { env } if !env.starts_with(SECRET_ENV_PREFIX) => {
                self.report(
                    raw.span(),
                    key,
                    format!("environment variable `{env}` must start with `{SECRET_ENV_PREFIX}`"),
                );
                None
            }
            RawSecret::Env { env } => {
                match (self.env)(env) {
                    Some(value) if !value.is_empty() => Some(Secret::new(value)),
                    _ => {
                        self.report(
                        raw.span(),
                        key,
                        format!("environment variable `{env}` is not set: export it before starting"),
                    );
                        None
                    }
                }
            }
        }
    }

    fn store(&mut self, raw: &RawStore) -> Option<Store> {
        match raw
            .backend
            .as_ref()
            .map(|b| (b.get_ref().as_str(), b.span()))
        {
            None | Some(("sled", _)) => Some(Store::Sled {
                path: self.path(raw.path.as_ref().map_or("data/store", |p| p.get_ref())),
            }),
            Some(("postgres", span)) => {
                let Some(raw_url) = &raw.url else {
                    self.report(
                        span,
                        "store.url",
                        "the postgres backend needs `url`, e.g. { env = \"GERBANG_DATABASE_URL\" }",
                    );
                    return None;
                };
                let url = self.secret(raw_url, "store.url")?;
                if !["postgres://", "postgresql://"]
                    .iter()
                    .any(|scheme| url.expose().starts_with(scheme))
                {
                    self.report(
                        raw_url.span(),
                        "store.url",
                        "a PostgreSQL URL starts with postgres://, e.g. \"postgres://gerbang@db.internal:5432/gerbang\"",
                    );
                    return None;
                }
                let schema = raw.schema.as_ref().map(|s| s.get_ref().clone());
                if let (Some(name), Some(raw_schema)) = (&schema, &raw.schema) {
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    {
                        self.report(
                            raw_schema.span(),
                            "store.schema",
                            "a schema name is lower-case letters, digits and `_`",
                        );
                    }
                }
                let pool_size =
                    self.int_in(raw.pool_size.as_ref(), "store.pool_size", 1..=1000, 16);
                let timeout =
                    self.int_in(raw.timeout_secs.as_ref(), "store.timeout_secs", 1..=300, 5);
                Some(Store::Postgres(Postgres {
                    url,
                    schema,
                    pool_size: pool_size? as usize,
                    timeout: Duration::from_secs(timeout? as u64),
                    migrate_at_start: raw.migrate_at_start.as_ref().is_none_or(|b| *b.get_ref()),
                }))
            }
            Some((other, span)) => {
                self.report(
                    span,
                    "store.backend",
                    format!("`{other}` is not a store backend: use \"sled\" or \"postgres\""),
                );
                None
            }
        }
    }

    fn mail(&mut self, raw: Option<&S<RawMail>>) -> Option<Mail> {
        let Some(raw) = raw else {
            return Some(Mail {
                from: "Gerbang <noreply@localhost>".into(),
                transport: MailTransport::Folder {
                    path: self.path("data/outbox"),
                },
            });
        };
        let m = raw.get_ref();
        if !looks_like_mailbox(m.from.get_ref()) {
            self.report(
                m.from.span(),
                "mail.from",
                format!(
                    "`{}` is not an e-mail address: write \"Name <user@example.id>\" or \"user@example.id\"",
                    m.from.get_ref()
                ),
            );
        }
        let transport = match m.transport.get_ref() {
            RawTransport::Folder => match &m.folder {
                Some(folder) => MailTransport::Folder {
                    path: self.path(folder.get_ref()),
                },
                None => {
                    self.report(
                        m.transport.span(),
                        "mail.folder",
                        "transport \"folder\" needs `folder = \"data/outbox\"`",
                    );
                    return None;
                }
            },
            RawTransport::Smtp => match &m.smtp {
                Some(smtp) => MailTransport::Smtp(self.smtp(smtp)?),
                None => {
                    self.report(
                        m.transport.span(),
                        "mail.smtp",
                        "transport \"smtp\" needs a [mail.smtp] table with at least `host`",
                    );
                    return None;
                }
            },
        };
        Some(Mail {
            from: m.from.get_ref().clone(),
            transport,
        })
    }

    fn smtp(&mut self, raw: &S<RawSmtp>) -> Option<Smtp> {
        let s = raw.get_ref();
        let security = match s
            .security
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("starttls", _)) => SmtpSecurity::StartTls,
            Some(("implicit", _)) => SmtpSecurity::Implicit,
            Some(("none", _)) => SmtpSecurity::None,
            Some((other, span)) => {
                self.report(
                    span,
                    "mail.smtp.security",
                    format!("`{other}` is not one of \"starttls\", \"implicit\", \"none\""),
                );
                return None;
            }
        };
        if security == SmtpSecurity::None && !is_loopback_host(s.host.get_ref()) {
            self.report(
                s.host.span(),
                "mail.smtp.host",
                "security = \"none\" sends mail in clear text: only allowed for a mail server on loopback",
            );
        }
        let default_port = if security == SmtpSecurity::Implicit {
            465
        } else {
            587
        };
        let port = self.int_in(s.port.as_ref(), "mail.smtp.port", 1..=65535, default_port)?;
        let password = match &s.password {
            Some(p) => Some(self.secret(p, "mail.smtp.password")?),
            None => None,
        };
        Some(Smtp {
            host: s.host.get_ref().clone(),
            port: port as u16,
            security,
            username: s.username.as_ref().map(|u| u.get_ref().clone()),
            password,
            ca: s.ca.as_ref().map(|c| self.path(c.get_ref())),
        })
    }

    fn login(&mut self, raw: &RawLogin) -> Option<Login> {
        let max = self.int_in(raw.max_failures.as_ref(), "login.max_failures", 1..=100, 3);
        let base = self.int_in(
            raw.backoff_base_secs.as_ref(),
            "login.backoff_base_secs",
            1..=3600,
            1,
        );
        let cap = self.int_in(
            raw.backoff_cap_secs.as_ref(),
            "login.backoff_cap_secs",
            1..=86_400,
            900,
        );
        let per_address = self.int_in(
            raw.attempts_per_address_per_minute.as_ref(),
            "login.attempts_per_address_per_minute",
            1..=10_000,
            30,
        );
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as i64;
        let workers = self.int_in(
            raw.password_workers.as_ref(),
            "login.password_workers",
            1..=256,
            (cores / 2).max(1),
        );
        Some(Login {
            password_workers: workers? as usize,
            max_failures: max? as u64,
            backoff_base: Duration::from_secs(base? as u64),
            backoff_cap: Duration::from_secs(cap? as u64),
            attempts_per_address_per_minute: per_address? as u64,
        })
    }

    fn accounts(&mut self, raw: &RawAccounts) -> Option<Accounts> {
        let hours = Duration::from_secs(3600);
        let activation = self.int_in(
            raw.activation_link_hours.as_ref(),
            "accounts.activation_link_hours",
            1..=24 * 14,
            24,
        );
        let reset = self.int_in(
            raw.reset_link_minutes.as_ref(),
            "accounts.reset_link_minutes",
            5..=24 * 60,
            60,
        );
        let temporary = self.int_in(
            raw.temporary_password_hours.as_ref(),
            "accounts.temporary_password_hours",
            1..=24 * 14,
            24,
        );
        Some(Accounts {
            activation_link_lifetime: hours * activation? as u32,
            reset_link_lifetime: Duration::from_secs(60 * reset? as u64),
            temporary_password_lifetime: hours * temporary? as u32,
        })
    }

    fn captcha(&mut self, raw: &RawCaptcha, server: Option<&Server>) -> Option<Captcha> {
        let lifetime = self.int_in(
            raw.lifetime_secs.as_ref(),
            "captcha.lifetime_secs",
            30..=1800,
            300,
        )?;
        if let (Some(answer), Some(server)) = (&raw.test_answer, server) {
            if !server.listeners().all(|a| a.ip().is_loopback()) {
                self.report(
                    answer.span(),
                    "captcha.test_answer",
                    "captcha test mode is only allowed when every listener is on loopback: remove `test_answer`",
                );
            }
        }
        Some(Captcha {
            test_answer: raw.test_answer.as_ref().map(|a| a.get_ref().clone()),
            lifetime: Duration::from_secs(lifetime as u64),
        })
    }

    fn route(
        &mut self,
        index: usize,
        raw: &S<RawRoute>,
        groups: &[Group],
        strongest: Strength,
    ) -> Option<Route> {
        let r = raw.get_ref();
        let key = |k: &str| format!("route[{index}].{k}");
        let name = self.route_name(index, r);
        let (host, path_prefix) = self.route_place(index, r);
        self.route_upstreams(index, r);
        let (policy, forward) = self.route_identity(index, r);
        let access = path_prefix.as_deref().and_then(|prefix| {
            let context = RouteContext {
                index,
                prefix,
                case_sensitive: r.case_sensitive,
                public: policy == Some(Policy::Public),
                groups,
                strongest,
            };
            let access = self.access(&context, &r.rules, r.default_access.as_ref())?;
            let forward_groups =
                self.forward_groups(&context, r.forward_groups.as_ref(), &access)?;
            Some((access, forward_groups))
        });
        let health = self.int_in(
            r.health_check_secs.as_ref(),
            &key("health_check_secs"),
            1..=300,
            5,
        )?;
        let strip_headers = self.strip_headers(index, r);
        let upstream_timeout = self.int_in(
            r.upstream_timeout_secs.as_ref(),
            &key("upstream_timeout_secs"),
            1..=3600,
            60,
        )?;
        let upstream_tls = r.upstream_tls.as_ref().map(|t| UpstreamTls {
            sni: t.get_ref().sni.get_ref().clone(),
            verify: t.get_ref().verify,
        });
        let (access, forward_groups) = access?;
        Some(Route {
            name: name.clone(),
            title: r
                .title
                .as_ref()
                .map_or_else(|| Localized::plain(name.clone()), Localized::from),
            host: host?,
            path_prefix: path_prefix?,
            upstreams: r
                .upstreams
                .get_ref()
                .iter()
                .map(|u| u.get_ref().clone())
                .collect(),
            upstream_tls,
            policy: policy?,
            forward,
            health_check: Duration::from_secs(health as u64),
            upstream_timeout: Duration::from_secs(upstream_timeout as u64),
            api_clients: r.api_clients.iter().map(|c| c.get_ref().clone()).collect(),
            case_sensitive: r.case_sensitive,
            strip_headers,
            access,
            forward_groups,
        })
    }

    /// A route's name: letters, digits, `-` and `_` (reported otherwise, and returned anyway).
    fn route_name<'r>(&mut self, index: usize, r: &'r RawRoute) -> &'r String {
        let name = r.name.get_ref();
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || !name.chars().all(allowed) {
            let key = format!("route[{index}].name");
            let why = "a route name is letters, digits, `-` and `_`";
            self.report(r.name.span(), key, why);
        }
        name
    }

    /// Where a route is: its host pattern and its path prefix (normalised).
    fn route_place(&mut self, index: usize, r: &RawRoute) -> (Option<HostPattern>, Option<String>) {
        let key = |k: &str| format!("route[{index}].{k}");
        let host = match parse_host_pattern(r.host.get_ref()) {
            Ok(h) => Some(h),
            Err(why) => {
                self.report(r.host.span(), key("host"), why);
                None
            }
        };
        let path_prefix = match &r.path_prefix {
            None => Some("/".to_string()),
            Some(p) => match normalise_prefix(p.get_ref()) {
                Ok(p) => Some(p),
                Err(why) => {
                    self.report(p.span(), key("path_prefix"), why);
                    None
                }
            },
        };
        (host, path_prefix)
    }

    /// A route's upstream addresses: at least one, each a host and port.
    fn route_upstreams(&mut self, index: usize, r: &RawRoute) {
        let key = |k: &str| format!("route[{index}].{k}");
        if r.upstreams.get_ref().is_empty() {
            self.report(
                r.upstreams.span(),
                key("upstreams"),
                "a route needs at least one upstream address",
            );
        }
        for (i, u) in r.upstreams.get_ref().iter().enumerate() {
            if let Err(why) = check_upstream_addr(u.get_ref()) {
                self.report(u.span(), format!("route[{index}].upstreams[{i}]"), why);
            }
        }
    }

    /// Who may pass a route, and how their identity is forwarded.
    fn route_identity(&mut self, index: usize, r: &RawRoute) -> (Option<Policy>, Forward) {
        let key = |k: &str| format!("route[{index}].{k}");
        let policy = match r.policy.get_ref().as_str() {
            "public" => Some(Policy::Public),
            "authenticated" => Some(Policy::Authenticated),
            other => {
                self.report(
                    r.policy.span(),
                    key("policy"),
                    format!("`{other}` is not a policy: use \"public\" or \"authenticated\""),
                );
                None
            }
        };
        let mut forward = Forward::default();
        for f in &r.forward {
            match f.get_ref().as_str() {
                "headers" => forward.headers = true,
                "jwt" => forward.jwt = true,
                other => self.report(
                    f.span(),
                    key("forward"),
                    format!("`{other}` is not a way to forward identity: use \"headers\" and/or \"jwt\""),
                ),
            }
        }
        if policy == Some(Policy::Public) && !r.forward.is_empty() {
            self.report(
                r.forward[0].span(),
                key("forward"),
                "a public route has no identity to forward: remove `forward` or make the route \"authenticated\"",
            );
        }
        (policy, forward)
    }

    /// The route's own headers no client may send, lower case.
    fn strip_headers(&mut self, index: usize, r: &RawRoute) -> Vec<String> {
        let mut strip_headers = Vec::with_capacity(r.strip_headers.len());
        for (i, h) in r.strip_headers.iter().enumerate() {
            let name = h.get_ref();
            if name.is_empty() || !name.bytes().all(is_header_name_byte) {
                self.report(
                    h.span(),
                    format!("route[{index}].strip_headers[{i}]"),
                    format!("`{name}` is not a header name"),
                );
            } else {
                strip_headers.push(name.to_ascii_lowercase().replace('_', "-"));
            }
        }
        strip_headers
    }

    fn route_conflicts(
        &mut self,
        raw: &[S<RawRoute>],
        routes: &[Option<Route>],
        provider: &Provider,
    ) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        // Two prefixes that differ only in case are one place for a case-insensitive route.
        let mut places: HashMap<(HostPattern, String), usize> = HashMap::new();
        for (i, (raw, route)) in raw.iter().zip(routes).enumerate() {
            let r = raw.get_ref();
            if let Some(first) = names.insert(r.name.get_ref().as_str(), i) {
                self.report(
                    r.name.span(),
                    format!("route[{i}].name"),
                    format!(
                        "duplicate route name `{}`: route[{first}] has it already",
                        r.name.get_ref()
                    ),
                );
            }
            let Some(route) = route else { continue };
            if route.host == HostPattern::Exact(provider.host.clone()) {
                self.report(
                    r.host.span(),
                    format!("route[{i}].host"),
                    format!("`{}` is the provider's host (from provider.issuer): give the app its own host", r.host.get_ref()),
                );
            }
            let place = if route.case_sensitive {
                route.path_prefix.clone()
            } else {
                route.path_prefix.to_ascii_lowercase()
            };
            if let Some(first) = places.insert((route.host.clone(), place), i) {
                let span = r.path_prefix.as_ref().map_or(r.host.span(), |p| p.span());
                self.report(
                    span,
                    format!("route[{i}].path_prefix"),
                    format!(
                        "route[{first}] already serves host `{}` with prefix `{}`: no route would win; change one prefix",
                        route.host, route.path_prefix
                    ),
                );
            }
        }
    }
}

/// A byte of an HTTP field name (RFC 9110 `token`).
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn looks_like_mailbox(text: &str) -> bool {
    let address = match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close && close == text.len() - 1 => {
            &text[open + 1..close]
        }
        (None, None) => text,
        _ => return false,
    };
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !address.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn is_hostname(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `host` or `*.suffix` (a wildcard for one or more leading labels). No port: every host is
/// served on the same listeners, so the port never decides the route.
pub fn parse_host_pattern(text: &str) -> Result<HostPattern, String> {
    let name = text.to_ascii_lowercase();
    if let Some(suffix) = name.strip_prefix("*.") {
        if is_hostname(suffix) {
            return Ok(HostPattern::Wildcard {
                suffix: format!(".{suffix}"),
            });
        }
    } else if is_hostname(&name) {
        return Ok(HostPattern::Exact(name));
    }
    Err(format!(
        "`{text}` is not a host: write \"app.example.id\" or \"*.example.id\" (no port; a `*` only as the whole first label)"
    ))
}

/// A path prefix as routes are matched: absolute, already normal, without a trailing `/`.
pub fn normalise_prefix(text: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("path prefix `{text}` {why}"));
    if !text.starts_with('/') {
        return bad("must start with `/`");
    }
    if text.contains(['%', ';', '?', '#', '\\', '\0']) || text.chars().any(char::is_whitespace) {
        return bad("must be a plain path: no `%`, `;`, `?`, `#`, `\\` or spaces");
    }
    if text.split('/').any(|seg| seg == "." || seg == "..") || text.contains("//") {
        return bad("must not contain `.` or `..` segments or `//`");
    }
    let trimmed = text.trim_end_matches('/');
    Ok(if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.into()
    })
}

fn check_upstream_addr(text: &str) -> Result<(), String> {
    if text.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match text.rsplit_once(':') {
        Some((host, port)) if is_hostname(host) && port.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
        _ => Err(format!(
            "`{text}` is not an upstream address: write HOST:PORT, e.g. \"127.0.0.1:9001\" or \"app.internal:8080\""
        )),
    }
}

/// What a route's rules are checked against.
pub(crate) struct RouteContext<'a> {
    pub index: usize,
    pub prefix: &'a str,
    pub case_sensitive: bool,
    /// A public route lets in what no rule denies.
    pub public: bool,
    pub groups: &'a [Group],
    /// The strongest login the allowed second factors can give (`[mfa] factors`).
    pub strongest: Strength,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised_or_refused() {
        assert_eq!(normalise_prefix("/").as_deref(), Ok("/"));
        assert_eq!(normalise_prefix("/api/").as_deref(), Ok("/api"));
        for bad in [
            "api", "/a/../b", "/a/./b", "/a%2fb", "/a;x", "/a//b", "/a b",
        ] {
            assert!(normalise_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_patterns() {
        assert_eq!(
            parse_host_pattern("App.Example.ID"),
            Ok(HostPattern::Exact("app.example.id".into()))
        );
        let wild = parse_host_pattern("*.localhost").unwrap();
        assert!(wild.matches("a.localhost"));
        assert!(wild.matches("a.b.localhost"));
        assert!(!wild.matches("localhost"));
        assert!(!wild.matches("evillocalhost"));
        for bad in ["foo*.bar", "*", "a..b", "-a.b", "a b", "a.b:80"] {
            assert!(parse_host_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mailboxes() {
        assert!(looks_like_mailbox("OSS <noreply@oss.go.id>"));
        assert!(looks_like_mailbox("noreply@oss.go.id"));
        assert!(!looks_like_mailbox("noreply"));
        assert!(!looks_like_mailbox("OSS <noreply@oss.go.id"));
    }
}
