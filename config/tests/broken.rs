//! Broken configuration files: each must be refused with the exact file, line, key and message.

use std::path::Path;

use gerbang_config::Config;

const BASE: &str = r#"[server]
http = "127.0.0.1:8080"

[provider]
issuer = "https://sso.localhost"

[[route]]
name = "app"
host = "app.localhost"
upstreams = ["127.0.0.1:9001"]
policy = "authenticated"
"#;

/// Every problem of `source`, rendered as `gerbang config check` prints them.
fn problems(source: &str) -> Vec<String> {
    let env = |name: &str| (name == "GERBANG_SET").then(|| "a".repeat(40));
    match Config::parse(
        source,
        Path::new("broken.toml"),
        Path::new("/nonexistent"),
        &env,
    ) {
        Ok(_) => vec![],
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn the_base_is_valid() {
    assert_eq!(problems(BASE), Vec::<String>::new());
}

#[test]
fn syntax_error() {
    assert_eq!(
        problems("[server]\nhttp = \"127.0.0.1:8080\nthreads = 2\n"),
        ["broken.toml:2:23: server.http: invalid basic string, expected `\"`"]
    );
}

#[test]
fn unknown_key() {
    let src = BASE.replace("http = ", "htpp = ");
    assert_eq!(
        problems(&src),
        ["broken.toml:2:1: server.htpp: unknown field `htpp`, expected one of `http`, `https`, `threads`, `grace_period_secs`, `shutdown_timeout_secs`, `trusted_proxies`, `upstream_ca`, `internal`, `upgrade_socket`, `forward_auth`, `request_head_timeout_secs`, `max_connections_per_address`"]
    );
}

#[test]
fn missing_issuer() {
    let src = BASE.replace(
        "issuer = \"https://sso.localhost\"",
        "code_lifetime_secs = 30",
    );
    assert_eq!(
        problems(&src),
        ["broken.toml:4:1: provider.issuer: missing field `issuer`"]
    );
}

/// Found by the `config` fuzz target (fuzz/regressions/config/): a missing top-level table was
/// named by whatever the file's first line was (nothing, or another table).
#[test]
fn missing_top_level_table() {
    for src in [
        BASE.replace("[provider]\nissuer = \"https://sso.localhost\"\n", ""),
        format!(
            "# a comment first\n{}",
            BASE.replace("[provider]\nissuer = \"https://sso.localhost\"\n", "")
        ),
    ] {
        let found = problems(&src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with(": provider: missing field `provider`"),
            "{found:?}"
        );
    }
}

#[test]
fn wrong_type() {
    assert_eq!(
        problems(&BASE.replace("[server]\n", "[server]\nthreads = \"two\"\n")),
        ["broken.toml:2:11: server.threads: invalid type: string \"two\", expected i64"]
    );
}

#[test]
fn issuer_not_https() {
    let src = BASE.replace("https://sso.localhost", "http://sso.localhost");
    assert_eq!(
        problems(&src),
        ["broken.toml:5:10: provider.issuer: `http://sso.localhost` is not an https URL without query or fragment, e.g. \"https://sso.example.id\""]
    );
}

#[test]
fn no_listener() {
    let src = BASE.replace("http = \"127.0.0.1:8080\"\n", "");
    assert_eq!(
        problems(&src),
        ["broken.toml:1:1: server: no listener: set `http = \"127.0.0.1:8080\"` and/or `https = \"127.0.0.1:8443\"`"]
    );
}

#[test]
fn listener_does_not_parse() {
    let src = BASE.replace("127.0.0.1:8080", "127.0.0.1:80800");
    assert_eq!(
        problems(&src),
        ["broken.toml:2:8: server.http: `127.0.0.1:80800` is not a listen address: write IP:PORT, e.g. \"127.0.0.1:8443\" or \"[::]:443\""]
    );
}

#[test]
fn https_without_tls() {
    let src = BASE.replace("[server]\n", "[server]\nhttps = \"127.0.0.1:8443\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:2:9: server.https: an HTTPS listener needs a [tls] table with `cert` and `key`"]
    );
}

#[test]
fn tls_files_missing() {
    let src = BASE.replace(
        "[provider]",
        "[tls]\ncert = \"missing.pem\"\nkey = \"missing-key.pem\"\n\n[provider]",
    );
    let src = src.replace("[server]\n", "[server]\nhttps = \"127.0.0.1:8443\"\n");
    assert_eq!(
        problems(&src),
        [
            "broken.toml:6:8: tls.cert: cannot read /nonexistent/missing.pem: No such file or directory (os error 2)",
            "broken.toml:7:7: tls.key: cannot read /nonexistent/missing-key.pem: No such file or directory (os error 2)",
        ]
    );
}

#[test]
fn tls_file_not_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "hello").unwrap();
    std::fs::write(dir.path().join("key.pem"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let src = format!(
        "[server]\nhttps = \"127.0.0.1:8443\"\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n{}",
        &BASE[BASE.find("[provider]").unwrap_or(0)..]
    );
    let env = |_: &str| None;
    let err = Config::parse(&src, Path::new("broken.toml"), dir.path(), &env)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err,
        Some(format!(
            "broken.toml:4:8: tls.cert: {}/cert.pem holds no PEM certificate",
            dir.path().display()
        ))
    );
}

#[test]
fn upstream_ca_missing() {
    let src = BASE.replace("[server]\n", "[server]\nupstream_ca = \"ca.pem\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:2:15: server.upstream_ca: cannot read /nonexistent/ca.pem: No such file or directory (os error 2)"]
    );
}

#[test]
fn duplicate_route_name() {
    let src = with("\n[[route]]\nname = \"app\"\nhost = \"other.localhost\"\nupstreams = [\"127.0.0.1:9002\"]\npolicy = \"public\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:8: route[1].name: duplicate route name `app`: route[0] has it already"]
    );
}

#[test]
fn overlapping_prefixes_with_no_winner() {
    let src = with("\n[[route]]\nname = \"two\"\nhost = \"APP.localhost\"\npath_prefix = \"//\"\nupstreams = [\"127.0.0.1:9002\"]\npolicy = \"public\"\n")
        .replace("\"//\"", "\"/\"");
    assert_eq!(
        problems(&src),
        ["broken.toml:16:15: route[1].path_prefix: route[0] already serves host `app.localhost` with prefix `/`: no route would win; change one prefix"]
    );
}

#[test]
fn trailing_slash_prefixes_overlap_too() {
    let src = with("path_prefix = \"/api\"\n\n[[route]]\nname = \"two\"\nhost = \"app.localhost\"\npath_prefix = \"/api/\"\nupstreams = [\"127.0.0.1:9002\"]\npolicy = \"public\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:17:15: route[1].path_prefix: route[0] already serves host `app.localhost` with prefix `/api`: no route would win; change one prefix"]
    );
}

#[test]
fn prefixes_that_differ_only_in_case_overlap() {
    let src = with("path_prefix = \"/api\"\n\n[[route]]\nname = \"two\"\nhost = \"app.localhost\"\npath_prefix = \"/API\"\nupstreams = [\"127.0.0.1:9002\"]\npolicy = \"public\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:17:15: route[1].path_prefix: route[0] already serves host `app.localhost` with prefix `/API`: no route would win; change one prefix"]
    );
    let both_case_sensitive = src
        .replace(
            "policy = \"public\"",
            "policy = \"public\"\ncase_sensitive = true",
        )
        .replace(
            "policy = \"authenticated\"",
            "policy = \"authenticated\"\ncase_sensitive = true",
        );
    assert_eq!(problems(&both_case_sensitive), Vec::<String>::new());
}

#[test]
fn strip_headers_are_header_names() {
    assert_eq!(
        problems(&with("strip_headers = [\"X-Role\", \"X Role\"]\n")),
        ["broken.toml:12:28: route[0].strip_headers[1]: `X Role` is not a header name"]
    );
}

#[test]
fn forward_auth_names_a_known_proxy_and_needs_trusted_proxies() {
    let src = BASE.replace(
        "[server]\n",
        "[server]\nforward_auth = \"haproxy\"\ntrusted_proxies = [\"10.0.0.2\"]\n",
    );
    assert_eq!(
        problems(&src),
        ["broken.toml:2:16: server.forward_auth: `haproxy` is not a proxy Gerbang answers: use \"nginx\", \"traefik\" or \"caddy\""]
    );
    let src = BASE.replace("[server]\n", "[server]\nforward_auth = \"traefik\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:2:16: server.forward_auth: forward-auth answers only the proxy in front: list its address in server.trusted_proxies"]
    );
}

#[test]
fn web_origins_are_origins() {
    let src = with("\n[[client]]\nid = \"spa\"\nredirect_uris = [\"https://spa.localhost/cb\"]\nweb_origins = [\"https://spa.localhost\", \"https://spa.localhost/app\", \"http://spa.example\"]\n");
    assert_eq!(
        problems(&src),
        [
            "broken.toml:16:41: client[0].web_origins: `https://spa.localhost/app` is not a web origin: scheme, host and port only, like `https://app.example.id` (http only on loopback)",
            "broken.toml:16:70: client[0].web_origins: `http://spa.example` is not a web origin: scheme, host and port only, like `https://app.example.id` (http only on loopback)"
        ]
    );
}

#[test]
fn prefix_not_normal() {
    assert_eq!(
        problems(&with("path_prefix = \"/public/../admin\"\n")),
        ["broken.toml:12:15: route[0].path_prefix: path prefix `/public/../admin` must not contain `.` or `..` segments or `//`"]
    );
}

#[test]
fn upstream_does_not_parse() {
    let src = BASE.replace(
        "[\"127.0.0.1:9001\"]",
        "[\"127.0.0.1:9001\", \"http://app:80\"]",
    );
    assert_eq!(
        problems(&src),
        ["broken.toml:10:32: route[0].upstreams[1]: `http://app:80` is not an upstream address: write HOST:PORT, e.g. \"127.0.0.1:9001\" or \"app.internal:8080\""]
    );
}

#[test]
fn no_upstreams() {
    let src = BASE.replace("[\"127.0.0.1:9001\"]", "[]");
    assert_eq!(
        problems(&src),
        ["broken.toml:10:13: route[0].upstreams: a route needs at least one upstream address"]
    );
}

#[test]
fn lifetime_out_of_range() {
    let src = BASE.replace("[provider]\n", "[provider]\ncode_lifetime_secs = 600\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:5:22: provider.code_lifetime_secs: 600 is out of range: use a value from 5 to 60"]
    );
}

#[test]
fn idle_longer_than_absolute() {
    let src = with("\n[session]\nidle_timeout_mins = 600\nabsolute_timeout_hours = 2\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:21: session.idle_timeout_mins: the idle timeout is longer than the absolute timeout: make it shorter"]
    );
}

#[test]
fn bad_host_pattern() {
    let src = BASE.replace("host = \"app.localhost\"", "host = \"app*.localhost\"");
    assert_eq!(
        problems(&src),
        ["broken.toml:9:8: route[0].host: `app*.localhost` is not a host: write \"app.example.id\" or \"*.example.id\" (no port; a `*` only as the whole first label)"]
    );
}

#[test]
fn route_on_the_provider_host() {
    let src = BASE.replace("host = \"app.localhost\"", "host = \"SSO.localhost\"");
    assert_eq!(
        problems(&src),
        ["broken.toml:9:8: route[0].host: `SSO.localhost` is the provider's host (from provider.issuer): give the app its own host"]
    );
}

#[test]
fn unknown_policy() {
    let src = BASE.replace("\"authenticated\"", "\"private\"");
    assert_eq!(
        problems(&src),
        ["broken.toml:11:10: route[0].policy: `private` is not a policy: use \"public\" or \"authenticated\""]
    );
}

#[test]
fn secret_env_missing() {
    let src = with("\n[session]\ncookie_secret = { env = \"GERBANG_UNSET\" }\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:17: session.cookie_secret: environment variable `GERBANG_UNSET` is not set: export it before starting"]
    );
    let ok = with("\n[session]\ncookie_secret = { env = \"GERBANG_SET\" }\n");
    assert_eq!(problems(&ok), Vec::<String>::new());
}

#[test]
fn secret_env_without_prefix() {
    let src = with("\n[session]\ncookie_secret = { env = \"HOME\" }\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:17: session.cookie_secret: environment variable `HOME` must start with `GERBANG_`"]
    );
}

#[test]
fn captcha_test_mode_off_loopback() {
    let src =
        BASE.replace("127.0.0.1:8080", "0.0.0.0:8080") + "\n[captcha]\ntest_answer = \"uji\"\n";
    assert_eq!(
        problems(&src),
        ["broken.toml:14:15: captcha.test_answer: captcha test mode is only allowed when every listener is on loopback: remove `test_answer`"]
    );
}

#[test]
fn smtp_without_table() {
    let src = with("\n[mail]\nfrom = \"OSS <noreply@oss.go.id>\"\ntransport = \"smtp\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:15:13: mail.smtp: transport \"smtp\" needs a [mail.smtp] table with at least `host`"]
    );
}

#[test]
fn clear_text_smtp_off_loopback() {
    let src = with("\n[mail]\nfrom = \"noreply@oss.go.id\"\ntransport = \"smtp\"\n\n[mail.smtp]\nhost = \"mail.oss.go.id\"\nsecurity = \"none\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:18:8: mail.smtp.host: security = \"none\" sends mail in clear text: only allowed for a mail server on loopback"]
    );
}

#[test]
fn mail_from_not_an_address() {
    let src = with("\n[mail]\nfrom = \"noreply\"\ntransport = \"folder\"\nfolder = \"outbox\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:8: mail.from: `noreply` is not an e-mail address: write \"Name <user@example.id>\" or \"user@example.id\""]
    );
}

#[test]
fn public_route_forwarding_identity() {
    let src = BASE.replace("\"authenticated\"", "\"public\"") + "forward = [\"headers\"]\n";
    assert_eq!(
        problems(&src),
        ["broken.toml:12:12: route[0].forward: a public route has no identity to forward: remove `forward` or make the route \"authenticated\""]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let src = BASE
        .replace("https://sso.localhost", "sso")
        .replace("\"authenticated\"", "\"open\"")
        .replace("127.0.0.1:9001", "nowhere");
    let found = problems(&src);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("broken.toml:5:10: provider.issuer:"));
    assert!(found[1].starts_with("broken.toml:10:14: route[0].upstreams[0]:"));
    assert!(found[2].starts_with("broken.toml:11:10: route[0].policy:"));
}

#[test]
fn client_asks_for_the_implicit_grant() {
    let src = with("\n[[client]]\nid = \"rp\"\nredirect_uris = [\"https://rp.example/cb\"]\ngrant_types = [\"authorization_code\", \"implicit\"]\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:16:38: client[0].grant_types: `implicit` is not a grant Gerbang offers: use authorization_code, refresh_token or client_credentials (no implicit, no password)"]
    );
}

#[test]
fn client_redirect_uri_not_https() {
    let src = with("\n[[client]]\nid = \"rp\"\nredirect_uris = [\"http://rp.example/cb\"]\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:15:18: client[0].redirect_uris: `http://rp.example/cb` is not an absolute https URI without fragment (http only on loopback)"]
    );
}

#[test]
fn public_client_with_client_credentials() {
    let src = with("\n[[client]]\nid = \"rp\"\nredirect_uris = [\"https://rp.example/cb\"]\ngrant_types = [\"client_credentials\"]\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:16:16: client[0].grant_types: client_credentials needs a confidential client: give it a `secret` or a `jwks_uri`"]
    );
}

#[test]
fn private_key_jwt_clients_name_where_their_keys_are() {
    let src = with(concat!(
        "\n[[client]]\nid = \"both\"\nsecret = \"both-secret-0123456789\"\njwks_uri = \"https://both.example/jwks\"\nredirect_uris = [\"https://both.example/cb\"]\n",
        "\n[[client]]\nid = \"plain\"\njwks_uri = \"http://plain.example/jwks\"\nredirect_uris = [\"https://plain.example/cb\"]\n",
        "\n[[client]]\nid = \"bot\"\njwks_uri = \"https://bot.example/jwks\"\ngrant_types = [\"client_credentials\"]\n",
    ));
    assert_eq!(
        problems(&src),
        [
            "broken.toml:16:12: client[0].jwks_uri: a client authenticates with a `secret` or with the keys at `jwks_uri` (private_key_jwt), not both",
            "broken.toml:21:12: client[1].jwks_uri: `http://plain.example/jwks` is not a JWK set address: an https URL with no query or fragment (http only on loopback)",
        ],
        "a client with keys may use client_credentials"
    );
}

#[test]
fn a_passport_claim_needs_its_country() {
    let src = with("\n[[identity_provider]]\nid = \"a\"\ntitle = \"A\"\nissuer = \"https://a.example.id\"\nclient_id = \"oss\"\nclient_secret = \"0123456789abcdef\"\npassport_claim = \"passport.number\"\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:19:18: identity_provider[0].passport_country_claim: a passport is matched on its number and its issuing country: give both `passport_claim` and `passport_country_claim`"]
    );
}

#[test]
fn identity_providers_authenticate_with_a_secret_or_gerbangs_keys() {
    let src = with(concat!(
        "\n[[identity_provider]]\nid = \"a\"\ntitle = \"A\"\nissuer = \"https://a.example.id\"\nclient_id = \"oss\"\nclient_auth = \"private_key_jwt\"\nclient_secret = \"0123456789abcdef\"\n",
        "\n[[identity_provider]]\nid = \"b\"\ntitle = \"B\"\nissuer = \"https://b.example.id\"\nclient_id = \"oss\"\nclient_auth = \"tls_client_auth\"\n",
        "\n[[identity_provider]]\nid = \"c\"\ntitle = \"C\"\nissuer = \"https://c.example.id\"\nclient_id = \"oss\"\nclient_auth = \"private_key_jwt\"\n",
    ));
    assert_eq!(
        problems(&src),
        [
            "broken.toml:19:17: identity_provider[0].client_secret: with `client_auth = \"private_key_jwt\"` Gerbang signs with its own keys: remove `client_secret`",
            "broken.toml:26:15: identity_provider[1].client_auth: `tls_client_auth` is not a client authentication Gerbang uses: client_secret or private_key_jwt",
        ]
    );
}

#[test]
fn route_accepts_tokens_of_an_unknown_client() {
    let src = with("api_clients = [\"ghost\"]\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:12:16: route[0].api_clients: `ghost` is not a configured [[client]] id"]
    );
}

#[test]
fn unsigned_or_unknown_token_alg() {
    let src = with("\n[[client]]\nid = \"rp\"\nredirect_uris = [\"https://rp.example/cb\"]\nid_token_signed_response_alg = \"none\"\n\n[[client]]\nid = \"rq\"\nredirect_uris = [\"https://rq.example/cb\"]\nid_token_signed_response_alg = \"HS256\"\naccess_token_signed_response_alg = \"none\"\n");
    assert_eq!(
        problems(&src),
        [
            "broken.toml:16:32: client[0].id_token_signed_response_alg: unsigned tokens are never issued: use RS256 or ES256",
            "broken.toml:21:32: client[1].id_token_signed_response_alg: `HS256` is not offered: use RS256 or ES256",
            "broken.toml:22:36: client[1].access_token_signed_response_alg: unsigned tokens are never issued: use RS256 or ES256",
        ]
    );
}

#[test]
fn account_link_lifetimes_out_of_range() {
    let src = with("\n[accounts]\nreset_link_minutes = 1\nactivation_link_hours = 0\n");
    assert_eq!(
        problems(&src),
        [
            "broken.toml:14:22: accounts.reset_link_minutes: 1 is out of range: use a value from 5 to 1440",
            "broken.toml:15:25: accounts.activation_link_hours: 0 is out of range: use a value from 1 to 336",
        ]
    );
}

#[test]
fn unknown_account_key() {
    assert_eq!(
        problems(&with("\n[accounts]\nlink_days = 3\n")),
        ["broken.toml:14:1: accounts.link_days: unknown field `link_days`, expected one of `activation_link_hours`, `reset_link_minutes`, `temporary_password_hours`"]
    );
}

#[test]
fn postgres_store_problems() {
    let store = |body: &str| problems(&with(&format!("\n[store]\nbackend = \"postgres\"\n{body}")));
    let found = [
        store(""),
        store("url = \"mysql://db/gerbang\"\n"),
        store("url = { env = \"GERBANG_UNSET\" }\n"),
        store("url = \"postgres://db/gerbang\"\nschema = \"Gerbang-Prod\"\npool_size = 0\ntimeout_secs = 900\n"),
        store("url = \"postgres://db/gerbang\"\nmigrate_at_start = \"yes\"\n"),
    ];
    assert_eq!(
        found,
        [
            vec!["broken.toml:14:11: store.url: the postgres backend needs `url`, e.g. { env = \"GERBANG_DATABASE_URL\" }"],
            vec!["broken.toml:15:7: store.url: a PostgreSQL URL starts with postgres://, e.g. \"postgres://gerbang@db.internal:5432/gerbang\""],
            vec!["broken.toml:15:7: store.url: environment variable `GERBANG_UNSET` is not set: export it before starting"],
            vec![
                "broken.toml:16:10: store.schema: a schema name is lower-case letters, digits and `_`",
                "broken.toml:17:13: store.pool_size: 0 is out of range: use a value from 1 to 1000",
                "broken.toml:18:16: store.timeout_secs: 900 is out of range: use a value from 1 to 300",
            ],
            vec!["broken.toml:16:20: store.migrate_at_start: invalid type: string \"yes\", expected a boolean"],
        ]
    );
}

#[test]
fn ui_problems() {
    let ui = |body: &str| problems(&with(&format!("\n[ui]\n{body}")));
    let found = [
        ui("primary_color = \"#f2a900\"\n"),
        ui("primary_color = \"orange\"\n"),
        ui("logo = \"logo.gif\"\nfavicon = \"missing.png\"\n"),
        ui("terms_url = \"oss.go.id/syarat\"\nproduct_name = \" \"\n"),
        ui("title = \"OSS\"\n"),
        ui("time_zone = \"Asia/Singapore\"\n"),
    ];
    assert_eq!(
        found,
        [
            vec!["broken.toml:14:17: ui.primary_color: #f2a900 has a contrast of 2.01:1 on white; buttons and links need at least 4.5:1: choose a darker colour"],
            vec!["broken.toml:14:17: ui.primary_color: `orange` is not a colour written as #rrggbb"],
            vec![
                "broken.toml:14:8: ui.logo: /nonexistent/logo.gif is not an .svg, .png, .ico or .webp picture",
                "broken.toml:15:11: ui.favicon: cannot use /nonexistent/missing.png: No such file or directory (os error 2)",
            ],
            vec![
                "broken.toml:14:13: ui.terms_url: `oss.go.id/syarat` is not an https:// address",
                "broken.toml:15:16: ui.product_name: the product name is empty",
            ],
            vec!["broken.toml:14:1: ui.title: unknown field `title`, expected one of `product_name`, `logo`, `favicon`, `primary_color`, `terms_url`, `privacy_url`, `time_zone`"],
            vec!["broken.toml:14:13: ui.time_zone: `Asia/Singapore` is not one of Indonesia's zones: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)"],
        ]
    );
}

#[test]
fn a_text_in_two_languages_and_a_branded_ui() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oss.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    let source = with(
        "title = { id = \"Perizinan Berusaha\", en = \"Business Licensing\" }\n\
         \n[helpdesk]\ntext = { id = \"Hubungi kami\", en = \"Call us\" }\n\
         \n[ui]\nproduct_name = \"OSS\"\nlogo = \"oss.svg\"\nprimary_color = \"#005a9c\"\nterms_url = \"https://oss.go.id/syarat\"\n",
    );
    let config = Config::parse(&source, Path::new("oss.toml"), dir.path(), &|_| None).unwrap();
    let title = &config.routes[0].title;
    assert_eq!(
        (title.get("id"), title.get("en")),
        ("Perizinan Berusaha", "Business Licensing")
    );
    assert_eq!(config.helpdesk.text.as_ref().unwrap().get("en"), "Call us");
    assert_eq!(config.ui.product_name, "OSS");
    assert_eq!(
        config.ui.logo.as_ref().unwrap().content_type,
        "image/svg+xml"
    );
    assert_eq!(config.ui.primary_color.unwrap().to_string(), "#005a9c");
}

#[test]
fn access_rule_problems() {
    let rules = |body: &str| problems(&with(&format!("\n{body}\n[[group]]\nname = \"admin\"\n")));
    let found = [
        rules("[[route.rule]]\neffect = \"allow\"\ngroups = [\"pejabat\"]\n"),
        rules("[[route.rule]]\neffect = \"allow\"\nnetworks = [\"10.20.0.0/33\", \"10.20.1.0/16\"]\n"),
        rules("[[route.rule]]\neffect = \"allow\"\ngroups = [\"admin\"]\n\n[[route.rule]]\neffect = \"deny\"\ngroups = [\"admin\"]\npaths = [\"/admin\"]\n"),
        rules("[[route.rule]]\neffect = \"permit\"\nmethods = [\"FETCH\"]\nacr = \"strong\"\n"),
        rules("[[route.rule]]\neffect = \"deny\"\nemail_domains = [\"not a domain\"]\npaths = [\"/a/../b\"]\n"),
        rules("default_access = \"maybe\"\n"),
    ];
    let groups = problems(&with(
        "\n[[group]]\nname = \"Admin Pusat\"\n\n[[group]]\nname = \"admin\"\n\n[[group]]\nname = \"admin\"\n",
    ));
    let outside = problems(
        &BASE
            .replace("policy =", "path_prefix = \"/api\"\npolicy =")
            .replace(
                "\"authenticated\"\n",
                "\"authenticated\"\n\n[[route.rule]]\neffect = \"allow\"\npaths = [\"/admin\"]\n",
            ),
    );
    let found: Vec<_> = found.iter().chain([&groups, &outside]).collect();
    assert_eq!(found, EXPECTED_ACCESS_PROBLEMS);
}

const EXPECTED_ACCESS_PROBLEMS: [&[&str]; 8] = [
    &["broken.toml:15:11: route[0].rule[0].groups: `pejabat` is not a declared [[group]]"],
    &[
        "broken.toml:15:13: route[0].rule[0].networks: `10.20.0.0/33` is not a network: write a CIDR block such as \"10.20.0.0/16\"",
        "broken.toml:15:29: route[0].rule[0].networks: `10.20.1.0/16` has bits set after its prefix: write \"10.20.0.0/16\"",
    ],
    &["broken.toml:17:1: route[0].rule[1]: this rule is never used: rule[0] before it matches every request it matches"],
    &[
        "broken.toml:14:10: route[0].rule[0].effect: `permit` is not `allow` or `deny`",
        "broken.toml:15:12: route[0].rule[0].methods: `FETCH` is not an HTTP method",
        "broken.toml:16:7: route[0].rule[0].acr: `strong` is not `password`, `two_factor` or `passkey`",
    ],
    &[
        "broken.toml:15:18: route[0].rule[0].email_domains: `not a domain` is not a domain name",
        "broken.toml:16:10: route[0].rule[0].paths: path prefix `/a/../b` must not contain `.` or `..` segments or `//`",
    ],
    &["broken.toml:13:18: route[0].default_access: `maybe` is not `allow` or `deny`"],
    &[
        "broken.toml:14:8: group[0].name: a group name is 1 to 64 lower-case letters, digits, `-`, `_` and `.`",
        "broken.toml:20:8: group[2].name: group `admin` is declared twice",
    ],
    &["broken.toml:16:10: route[0].rule[0].paths: `/admin` is outside the route's path_prefix `/api`: the rule could never match"],
];

#[test]
fn second_factor_policy_names_declared_groups_and_a_bounded_grace() {
    let src = with(
        "\n[[group]]\nname = \"admin\"\n\n[mfa]\nrequired_groups = [\"admin\", \"pejabat\"]\ngrace_days = 120\n",
    );
    assert_eq!(
        problems(&src),
        [
            "broken.toml:17:29: mfa.required_groups: `pejabat` is not a declared [[group]]",
            "broken.toml:18:14: mfa.grace_days: 120 is out of range: use a value from 0 to 90",
        ]
    );
}

#[test]
fn allowed_second_factors_are_known_kinds_and_at_least_one() {
    let src = with("\n[mfa]\nfactors = [\"totp\", \"sms\"]\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:20: mfa.factors: `sms` is not `totp` or `passkey`"]
    );
    let src = with("\n[mfa]\nfactors = []\n");
    assert_eq!(
        problems(&src),
        ["broken.toml:14:11: mfa.factors: name at least one kind of second factor (`totp`, `passkey`), or leave the key out for both"]
    );
    // A route that asks for a passkey where none may be made could never let anyone in.
    let src = with(
        "\n[[route.rule]]\neffect = \"allow\"\nacr = \"passkey\"\n\n[mfa]\nfactors = [\"totp\"]\n",
    );
    assert_eq!(
        problems(&src),
        ["broken.toml:15:7: route[0].rule[0].acr: `passkey` cannot be met: `[mfa] factors` does not allow passkeys"]
    );
}

#[test]
fn console_roles_and_group_managers_name_declared_groups() {
    let src = with(
        "\n[[group]]\nname = \"pejabat\"\nmanagers = [\"kepala\"]\n\n[admin]\nadministrators = [\"root\"]\nhelpdesk = [\"pejabat\"]\n",
    );
    assert_eq!(
        problems(&src),
        [
            "broken.toml:15:13: group[0].managers: `kepala` is not a declared [[group]]",
            "broken.toml:18:19: admin.administrators: `root` is not a declared [[group]]",
        ]
    );
}

#[test]
fn admin_api_clients_are_machine_clients_with_the_admin_scope_and_declared_groups() {
    let clients = "\n[[client]]\nid = \"web\"\nsecret = \"web-secret-0123456789\"\nredirect_uris = [\"https://web.test/cb\"]\nscopes = [\"openid\", \"gerbang:admin\"]\n\n[[client]]\nid = \"bot\"\nsecret = \"bot-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\n";
    let src = with(&format!(
        "\n[[group]]\nname = \"helpdesk\"\n{clients}\n[[admin.api_client]]\nclient = \"nobody\"\n\n[[admin.api_client]]\nclient = \"web\"\n\n[[admin.api_client]]\nclient = \"bot\"\ngroups = [\"helpdesk\"]\n"
    ));
    assert_eq!(
        problems(&src),
        [
            "broken.toml:28:10: admin.api_client[0].client: `nobody` is not a configured [[client]] id",
            "broken.toml:31:10: admin.api_client[1].client: client `web` must have \"client_credentials\" in its grant_types",
            "broken.toml:34:10: admin.api_client[2].client: client `bot` must have \"gerbang:admin\" in its scopes",
        ]
    );
    let src = src
        .replace("grant_types = [\"client_credentials\"]\n", "grant_types = [\"client_credentials\"]\nscopes = [\"gerbang:admin\"]\n")
        .replace("[[admin.api_client]]\nclient = \"nobody\"\n\n[[admin.api_client]]\nclient = \"web\"\n\n", "")
        .replace("groups = [\"helpdesk\"]", "groups = [\"kepala\"]");
    assert_eq!(
        problems(&src),
        ["broken.toml:30:11: admin.api_client[0].groups: `kepala` is not a declared [[group]]"]
    );
}

#[test]
fn identity_providers_name_their_issuer_secret_scopes_and_strengths() {
    let src = with(concat!(
        "\n[[group]]\nname = \"pejabat\"\n",
        "\n[[identity_provider]]\nid = \"ina pas\"\ntitle = \"INApas\"\nissuer = \"http://inapas.example.id/?x=1\"\nclient_id = \"oss\"\nscopes = [\"profile\"]\n",
        "\n[[identity_provider]]\nid = \"dinas\"\ntitle = \"Dinas\"\nissuer = \"https://sso.dinas.example.id\"\nclient_id = \"oss\"\nclient_secret = { env = \"GERBANG_SET\" }\ngroups = [\"kepala\"]\n",
        "[identity_provider.acr]\n\"urn:dinas:loa3\" = \"strong\"\n",
        "\n[[identity_provider]]\nid = \"dinas\"\ntitle = \"Dinas lagi\"\nissuer = \"https://sso2.dinas.example.id\"\nclient_id = \"\"\nclient_secret = \"0123456789abcdef\"\n",
    ));
    assert_eq!(
        problems(&src),
        [
            "broken.toml:17:6: identity_provider[0].id: an identity provider id is 1 to 40 letters, digits, `-` and `_`",
            "broken.toml:19:10: identity_provider[0].issuer: `http://inapas.example.id/?x=1` is not an issuer: an https URL with no query or fragment (http only on loopback)",
            "broken.toml:20:13: identity_provider[0].client_secret: an identity provider needs `client_secret` (the secret it gave Gerbang as its client), or `client_auth = \"private_key_jwt\"`",
            "broken.toml:21:11: identity_provider[0].scopes: the scopes must include \"openid\"",
            "broken.toml:29:11: identity_provider[1].groups: `kepala` is not a declared [[group]]",
            "broken.toml:31:20: identity_provider[1].acr.urn:dinas:loa3: `strong` is not a strength: use \"password\", \"two_factor\" or \"passkey\"",
            "broken.toml:34:6: identity_provider[2].id: duplicate identity provider id `dinas`",
            "broken.toml:37:13: identity_provider[2].client_id: this may not be empty",
        ]
    );
}

#[test]
fn an_identity_provider_with_its_defaults() {
    let src = with("\n[[identity_provider]]\nid = \"inapas\"\ntitle = { id = \"INApas\", en = \"INApas\" }\nissuer = \"https://inapas.example.id\"\nclient_id = \"oss\"\nclient_secret = \"0123456789abcdef\"\nnik_claim = \"nik\"\n[identity_provider.amr]\nmfa = \"two_factor\"\n");
    let config = Config::parse(&src, Path::new("ok.toml"), Path::new("."), &|_| None).unwrap();
    let inapas = config.identity_provider("inapas").unwrap();
    assert_eq!(inapas.scopes, ["openid", "profile", "email"]);
    assert_eq!(inapas.nik_claim.as_deref(), Some("nik"));
    assert_eq!(
        inapas.amr,
        [("mfa".to_string(), gerbang_config::Strength::TwoFactor)]
    );
    assert!(!inapas.trust_email_verified && !inapas.create_accounts);
    assert!(config.identity_provider("other").is_none());
}

/// Found by the `config` fuzz target: a dotted key whose first part is unknown is named up to
/// that part, as the same table written as `[accounts.reset_link_]` would be.
#[test]
fn an_unknown_dotted_key_is_named_up_to_the_unknown_part() {
    let found = problems(&with("\n[accounts]\nreset_link_.minutes = 60\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("broken.toml:14:1: accounts.reset_link_: unknown field `reset_link_`"),
        "{found:?}"
    );
}

/// Found by the `config` fuzz target: an unknown key in an inline table was named by the
/// line's key alone, though written as a table it is named in full.
#[test]
fn an_unknown_key_in_an_inline_table_is_named_in_full() {
    let src = BASE.replace(
        "policy = \"authenticated\"",
        "policy = \"authenticated\"\nupstream_tls = { sni = \"app.internal\", verfy = true }",
    );
    let found = problems(&src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(": route[0].upstream_tls.verfy: unknown field `verfy`"),
        "{found:?}"
    );
}

/// Found by the `config` fuzz target: a key was named from the line it is on, so a key of an
/// inline table written over several lines (TOML 1.1), or under a header after a byte-order
/// mark, lost the tables it is in. Keys are now read from the TOML parser's own tree.
#[test]
fn a_key_is_named_in_full_however_its_tables_are_written() {
    let unknown = |found: Vec<String>| {
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].split(": ").nth(1).unwrap_or_default().to_string()
    };
    let server = "http = \"127.0.0.1:8080\"\npolicy = \"authenticated\"\n";
    for written in [
        format!("[server]\n{server}"),
        format!("\u{feff}[server]\n{server}"),
        "server = {\n  http = \"127.0.0.1:8080\",\n  policy = \"authenticated\",\n}\n".into(),
        "server.http = \"127.0.0.1:8080\"\nserver.policy = \"authenticated\"\n".into(),
    ] {
        let src = format!("{written}{}", &BASE[BASE.find("[provider]").unwrap_or(0)..]);
        assert_eq!(unknown(problems(&src)), "server.policy", "{written}");
    }
    let src = BASE.replace(
        "policy = \"authenticated\"",
        "policy = \"authenticated\"\nupstream_tls = {\n  sni = \"app.internal\",\n  verfy = true,\n}",
    );
    assert_eq!(unknown(problems(&src)), "route[0].upstream_tls.verfy");
}

/// Found by the `config` fuzz target: a table of the wrong type made implicitly by a dotted
/// header (`[client.http]` where `[[client]]` is meant) was named by the header, though the
/// same file written with `[client]` and a dotted key is named `client`, which is the key
/// whose type is wrong. A header whose own table has the wrong type is still named in full.
#[test]
fn a_table_of_the_wrong_type_made_by_a_dotted_header_is_named_itself() {
    for extra in ["[client.http]\nis = []\n", "[client]\nhttp.is = []\n"] {
        let found = problems(&format!("{BASE}\n{extra}"));
        assert_eq!(found.len(), 1, "{extra}: {found:?}");
        assert!(
            found[0].contains(": client: invalid type"),
            "{extra}: {found:?}"
        );
    }
    let src = format!("{BASE}\n[accounts.reset_link_minutes]\nx = 1\n");
    let found = problems(&src);
    assert!(
        found[0].contains(": accounts.reset_link_minutes: invalid type"),
        "{found:?}"
    );
}
