//! Brute force against the login (see `shared/checklists/security.md`): per-account back-off
//! that counts user name and e-mail as one account, per-address limits, and locks that expire.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_tests::browser;
use gerbang_tests::smtp::{self, SmtpServer};
use gerbang_tests::{Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";

async fn gerbang(login: &str) -> Gerbang {
    gerbang_mailing(login, None).await
}

async fn gerbang_mailing(login: &str, mail: Option<String>) -> Gerbang {
    Gerbang::start(Spec {
        https: true,
        http: false,
        // The test client stands in for a load balancer that reports many client addresses.
        server_extra: "trusted_proxies = [\"127.0.0.1\"]\n".into(),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\n{login}\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        mail,
        ..Spec::http("")
    })
    .await
}

/// One login attempt from `address`: the status of the answer (302 success, 200 wrong, 429 limited).
async fn attempt(gw: &Gerbang, address: &str, username: &str, password: &str) -> u16 {
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let response =
        browser::submit_login(&browser, &provider, username, password, Some(address)).await;
    response.status().as_u16()
}

#[tokio::test]
async fn fifty_wrong_passwords_from_many_addresses_never_get_in_and_the_lock_expires() {
    let gw = gerbang("max_failures = 3\nbackoff_base_secs = 1\nbackoff_cap_secs = 3\nattempts_per_address_per_minute = 1000").await;
    let mut limited = 0;
    for n in 0..50 {
        let address = format!("198.51.100.{}", n % 5 + 1);
        // The same account, by user name and by e-mail in any case.
        let spelling = if n % 2 == 0 {
            "budi"
        } else {
            "BUDI@example.test"
        };
        match attempt(&gw, &address, spelling, &format!("salah {n}")).await {
            200 => {}
            429 => limited += 1,
            other => panic!("attempt {n} answered {other}"),
        }
    }
    assert!(limited > 0, "the back-off never engaged");
    // An address that keeps failing is locked (the account counted as one, whatever spelling)
    // once a counted failure finds no lock in force, for the whole cap whatever the machine's
    // speed...
    loop {
        match attempt(&gw, "198.51.100.1", "budi", "salah lagi").await {
            200 => break,
            429 => tokio::time::sleep(Duration::from_millis(200)).await,
            other => panic!("a wrong password answered {other}"),
        }
    }
    // ...during which even the right password is refused there...
    assert_eq!(attempt(&gw, "198.51.100.1", "budi", PASSWORD).await, 429);
    // ...until the lock expires (the cap is 3 s here); then it works again.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(attempt(&gw, "198.51.100.1", "budi", PASSWORD).await, 302);
}

#[tokio::test]
async fn one_address_is_limited_per_minute_others_are_not() {
    let gw = gerbang("attempts_per_address_per_minute = 4\nmax_failures = 100").await;
    for _ in 0..4 {
        assert_eq!(
            attempt(&gw, "203.0.113.5", "nobody", "salah sekali").await,
            200
        );
    }
    assert_eq!(
        attempt(&gw, "203.0.113.5", "nobody", "salah sekali").await,
        429
    );
    assert_eq!(
        attempt(&gw, "203.0.113.6", "budi", PASSWORD).await,
        302,
        "another address is not affected"
    );
}

/// Long names cannot fill the disk (issue 16, item 6): a form body over the provider's limit is
/// refused before it is read, and names under it are counted under a key of fixed size, so
/// failures with different long names do not grow the store by their length.
#[tokio::test]
async fn long_names_are_refused_or_counted_in_a_few_bytes() {
    let mut gw = gerbang("attempts_per_address_per_minute = 1000").await;
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let huge = "x".repeat(1024 * 1024);
    let refused = browser::submit_login(&browser, &provider, &huge, "salah", None).await;
    assert_eq!(refused.status(), 413);
    for n in 0..5 {
        let long = format!("{n}{}", "y".repeat(20_000));
        assert_eq!(attempt(&gw, "198.51.100.1", &long, "salah").await, 200);
    }
    gw.stop();
    // What the store holds of those names: nothing of their length.
    let store = gw.dir.path().join("store");
    let mut longest_run = 0usize;
    let mut stack = vec![store];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else if let Ok(bytes) = std::fs::read(entry.path()) {
                let mut run = 0;
                for b in bytes {
                    run = if b == b'y' { run + 1 } else { 0 };
                    longest_run = longest_run.max(run);
                }
            }
        }
    }
    assert!(
        longest_run < 100,
        "a typed name reached the store ({longest_run} bytes of it)"
    );
}

/// IPv6 clients are limited by their /64: a host that takes a new address for every attempt
/// is still one client (issue 16, item 11).
#[tokio::test]
async fn an_ipv6_network_is_one_client_for_the_per_address_limit() {
    let gw = gerbang("attempts_per_address_per_minute = 3").await;
    let mut statuses = Vec::new();
    for n in 1..=5 {
        // A new name each time: the account back-off stays out of it.
        let name = format!("orang{n}");
        statuses.push(attempt(&gw, &format!("2001:db8:7:9::{n:x}"), &name, "salah").await);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(
        attempt(&gw, "2001:db8:7:a::1", "orang9", "salah").await,
        200,
        "the next /64 is another client"
    );
}

/// An attacker cannot keep the owner out (issue 16, item 4): their failures lock the addresses
/// they use and, past ten times the threshold, every unknown device; the owner's own browser,
/// known from an earlier login, is counted apart and gets in with the right password while the
/// attack goes on. Between the two, an unknown device at another address is still let in
/// before the shared threshold.
#[tokio::test]
async fn the_owner_logs_in_while_an_attacker_keeps_failing() {
    let gw = gerbang("max_failures = 3\nbackoff_base_secs = 60\nbackoff_cap_secs = 3600\nattempts_per_address_per_minute = 1000").await;
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let owner = gw.client(&[Gerbang::PROVIDER_HOST]);
    let login = |address: &'static str| {
        let (owner, provider) = (owner.clone(), provider.clone());
        async move {
            browser::submit_login(&owner, &provider, "budi", PASSWORD, Some(address))
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(login("192.0.2.50").await, 302, "the owner's first login");

    // The attack: wrong passwords from one address lock that address for a minute, doubling.
    let mut attacker = Vec::new();
    for _ in 0..6 {
        attacker.push(attempt(&gw, "203.0.113.66", "budi", "tebakan").await);
    }
    assert_eq!(attacker[..3], [200, 200, 200]);
    assert!(attacker[3..].iter().all(|&s| s == 429), "{attacker:?}");
    assert_eq!(
        attempt(&gw, "203.0.113.66", "budi", PASSWORD).await,
        429,
        "the attacker's address is locked even with the right password"
    );
    // An unknown device elsewhere is not locked by that.
    assert_eq!(attempt(&gw, "198.51.100.20", "budi", PASSWORD).await, 302);

    // The attack spreads over many addresses until every unknown device is locked...
    for n in 0..40 {
        let address = format!("203.0.113.{}", 100 + n);
        attempt(&gw, &address, "budi", "tebakan").await;
    }
    assert_eq!(
        attempt(&gw, "198.51.100.21", "budi", PASSWORD).await,
        429,
        "a new device waits while the attack is on"
    );
    // ...and the owner's own browser still gets in, from any address.
    assert_eq!(login("192.0.2.51").await, 302);
    attempt(&gw, "203.0.113.200", "budi", "tebakan").await;
    assert_eq!(login("192.0.2.50").await, 302, "again, during the attack");
}

/// A challenge is drawn once (a script cannot vote across many drawings of one word) and one
/// address fetches a limited number of pictures and recordings a minute (issue 16, item 1).
#[tokio::test]
async fn captcha_media_is_drawn_once_and_fetched_within_limits() {
    let gw = gerbang("").await;
    // The fetches are counted per clock minute: the nine share one.
    early_in_a_minute().await;
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let page = browser::get_text(&browser, &format!("{provider}/login")).await;
    let token = browser::hidden_field(&page, "captcha_token").unwrap();
    let fetch = |what: &'static str| {
        let url = format!("{provider}/captcha/{token}/{what}");
        let browser = browser.clone();
        async move {
            let response = browser
                .get(url)
                .header("x-forwarded-for", "198.51.100.77")
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.bytes().await.unwrap())
        }
    };
    let (status, first) = fetch("image").await;
    assert_eq!(status, 200);
    assert_eq!(fetch("image").await, (200, first), "the same drawing");
    let (status, recording) = fetch("audio").await;
    assert_eq!(status, 200);
    for _ in 1..6 {
        assert_eq!(fetch("audio").await, (200, recording.clone()));
    }
    assert_eq!(
        fetch("audio").await.0,
        429,
        "the seventh recording in a minute"
    );
}

/// Waits, if need be, for a clock minute to begin: limits that count per minute then count a
/// test's few requests together (one that crossed a minute's end would start counting again).
async fn early_in_a_minute() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
}

/// Every form shown issues a captcha challenge (a store entry until it is answered or expires):
/// one address gets twice as many a minute as it may post forms, then the "too many" page, on
/// every form that carries a captcha (issue 16, item 1).
#[tokio::test]
async fn one_address_gets_a_bounded_number_of_challenges() {
    let gw = gerbang("attempts_per_address_per_minute = 2").await;
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let show = |path: &'static str, address: &'static str| {
        let request = browser
            .get(format!("{provider}{path}"))
            .header("x-forwarded-for", address);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let forms = [
        "/login",
        "/register",
        "/forgot-password",
        "/activate/resend",
    ];
    // The limit counts per clock minute: the eight requests share one.
    early_in_a_minute().await;
    // Each form once within the limit (four), then each once over it.
    for (round, path) in forms.iter().chain(&forms).enumerate() {
        let (status, page) = show(path, "198.51.100.90").await;
        if round < forms.len() {
            assert!(status == 200 && page.contains("captcha_token"), "{path}");
        } else {
            assert!(
                status == 429 && page.contains("Terlalu banyak"),
                "{path}: {page}"
            );
        }
    }
    assert_eq!(
        show("/login", "198.51.100.91").await.0,
        200,
        "another address"
    );
}

/// The owner on a new device while the attack keeps every new device locked (issue 16, item 4):
/// the page says to look in the mailbox, the owner gets one link however many attempts meet the
/// lock, and the device that follows it logs in with the password while other new devices stay
/// locked. The link works once.
#[tokio::test]
async fn a_mailed_link_lets_the_owner_in_on_a_new_device() {
    let smtp = SmtpServer::start().await;
    let login = "max_failures = 3\nbackoff_base_secs = 60\nbackoff_cap_secs = 3600\nattempts_per_address_per_minute = 1000";
    let gw = gerbang_mailing(login, Some(smtp.mail_config())).await;
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    for n in 0..40 {
        attempt(&gw, &format!("203.0.113.{}", 100 + n), "budi", "tebakan").await;
    }
    let owner = gw.client(&[Gerbang::PROVIDER_HOST]);
    let locked =
        browser::submit_login(&owner, &provider, "budi", PASSWORD, Some("198.51.100.30")).await;
    assert_eq!(locked.status(), 429);
    let page = locked.text().await.unwrap();
    assert!(page.contains("periksa e-mail Anda"), "{page}");
    assert_eq!(attempt(&gw, "198.51.100.32", "budi", PASSWORD).await, 429);
    // An account that does not exist gets the same words (and no mail).
    for n in 0..40 {
        attempt(
            &gw,
            &format!("203.0.113.{}", 150 + n),
            "tidakada",
            "tebakan",
        )
        .await;
    }
    let nobody =
        browser::submit_login(&owner, &provider, "tidakada", "x", Some("198.51.100.33")).await;
    assert!(nobody.text().await.unwrap().contains("periksa e-mail Anda"));

    let mails = smtp
        .wait_for("budi@example.test", 1, Duration::from_secs(10))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mails_now = smtp
        .wait_for("budi@example.test", 1, Duration::from_secs(1))
        .await;
    assert_eq!(
        mails_now.len(),
        1,
        "one link, however many attempts met the lock"
    );
    assert!(mails[0].subject.contains("dikunci"), "{}", mails[0].subject);
    let link = smtp::link(&mails[0].text, "/login/unlock?token=").unwrap();

    let page = browser::get_text(&owner, &link).await;
    let token = browser::hidden_field(&page, "token").unwrap();
    let unlock = |token: String| {
        let (owner, provider) = (owner.clone(), provider.clone());
        async move {
            owner
                .post(format!("{provider}/login/unlock"))
                .header("origin", provider.as_str())
                .form(&[("token", token.as_str()), ("ui_locales", "id")])
                .send()
                .await
                .unwrap()
        }
    };
    let cross_site = owner
        .post(format!("{provider}/login/unlock"))
        .header("origin", "https://evil.test")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "a post from another site");
    let unlocked = unlock(token.clone()).await;
    assert_eq!(unlocked.status(), 200);
    assert!(browser::cookies_set_by(&unlocked).contains("__Host-gerbang-device="));
    let in_ =
        browser::submit_login(&owner, &provider, "budi", PASSWORD, Some("198.51.100.31")).await;
    assert_eq!(
        in_.status(),
        302,
        "the unlocked device logs in with the password"
    );
    assert_eq!(
        attempt(&gw, "198.51.100.34", "budi", PASSWORD).await,
        429,
        "other new devices are still locked"
    );
    assert_eq!(unlock(token).await.status(), 410, "the link works once");
}
