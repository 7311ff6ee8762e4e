//! Two-step verification from Beranda: set up an authenticator app (`/account/second-factor`)
//! and see the recovery codes once. The flow decides (`flows::second_factor`); this maps it to
//! pages.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::factor_pages::{self, ConfirmChange, EnrolForm, EnrolWhy};
use super::home::current;
use super::i18n::{Lang, Text};
use super::{admit, client_address, html, lang, pages, redirect, refused, unavailable, Refusal};
use super::{login, oidc, password};
use super::{LoggedIn, OwnForm};
use crate::assurance::{Method, Proven};
use crate::clock::now;
use crate::flows::profile;
use crate::flows::second_factor::{self, Begun, Confirmed, Due};
use crate::flows::second_step::{self, Answer, Pending, SecondStep};
use crate::mfa::totp;
use crate::provider::Provider;
use crate::session;
use crate::store::{Session, User};

pub async fn enrol_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    if !p.config().mfa.factors.totp {
        return redirect("/#second-factor");
    }
    let begun = second_factor::begin(&p, &user, now());
    enrol_form(&p, lang, &user, &begun, ("", ""), None).await
}

/// An app (or the `[mfa]` policy) asks for two factors of a user who has none: setting one
/// up, then back to the app's request (`sealed`, "" for none).
pub(super) async fn enrol_for(p: &Provider, lang: Lang, user: &User, sealed: &str) -> Response {
    if !p.config().mfa.factors.totp {
        return super::passkey::enrol_for(p, lang, user, sealed).await;
    }
    let begun = second_factor::begin(p, user, now());
    enrol_form(p, lang, user, &begun, ("", sealed), None).await
}

/// At login, or on the way to an app: the set-up page when the `[mfa]` policy asks this user
/// for a second factor (`grace_over`: only once they may no longer put it off); `None` when it
/// does not.
pub(super) async fn required_of(
    p: &Provider,
    lang: Lang,
    user: &User,
    sealed: &str,
    grace_over: bool,
) -> Option<Response> {
    match second_factor::due(p, user, now()).await {
        Ok(Due::No) => None,
        Ok(Due::By(_)) if grace_over => None,
        Ok(_) => Some(enrol_for(p, lang, user, sealed).await),
        Err(e) => Some(unavailable(p, lang, e)),
    }
}

/// "Nanti saja": a person in their grace period goes on without a second factor for now.
pub async fn later(
    State(p): State<Arc<Provider>>,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let (sealed, lang) = (form.field("request"), form.lang);
    if let Some(page) = required_of(&p, lang, &user, sealed, true).await {
        return page;
    }
    match login::pending(&p, sealed) {
        Some(request) => oidc::complete(&p, &request, &session, &user, now()).await,
        None => redirect("/"),
    }
}

pub async fn enrol(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    if !p.config().mfa.factors.totp {
        return redirect("/#second-factor");
    }
    let now = now();
    let typed = (field("name"), field("request"));
    let Some(begun) = second_factor::resume(&p, &user, field("enrolment"), now) else {
        let begun = second_factor::begin(&p, &user, now);
        return enrol_form(&p, lang, &user, &begun, typed, Some(Text::EnrolmentExpired)).await;
    };
    let address = client_address(&headers);
    let added = second_factor::confirm(&p, &user, &begun, field("code"), typed.0, &address, now);
    let wrong = match added.await {
        Ok(Confirmed::Added { recovery_codes }) => Ok(recovery_codes),
        Ok(Confirmed::WrongCode) => Err(Text::WrongOneTimeCode),
        Ok(Confirmed::NameTooLong) => Err(Text::FactorNameTooLong),
        Err(e) => return unavailable(&p, lang, e),
    };
    let codes = match wrong {
        Ok(codes) => codes,
        Err(text) => return enrol_form(&p, lang, &user, &begun, typed, Some(text)).await,
    };
    // The app's code just proved it: this session has two factors from now on.
    let store = p.store.as_ref();
    let session = match session::prove(store, &session.id_hash, &user.id, Method::Otp).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect("/login"),
        Err(e) => return unavailable(&p, lang, e),
    };
    let added = (codes, Text::FactorAdded);
    after_adding(&p, lang, added, typed.1, (&session, &user)).await
}

/// A factor was just added (`made` says which): its recovery codes once, when these are the
/// user's first; then on to the app whose request (`sealed`) asked, or back to Beranda.
pub(super) async fn after_adding(
    p: &Provider,
    lang: Lang,
    (codes, made): (Option<Vec<String>>, Text),
    sealed: &str,
    (session, user): (&Session, &User),
) -> Response {
    match (codes, login::pending(p, sealed)) {
        (Some(codes), _) => {
            let page = factor_pages::recovery_codes(lang, &codes, made, sealed);
            html(p, page).into_response()
        }
        (None, Some(request)) => oidc::complete(p, &request, session, user, now()).await,
        (None, None) => redirect("/#second-factor"),
    }
}

/// The set-up form; `typed` is the device name as typed and the sealed request it continues.
/// It says why it is shown: chosen, asked for by an app, or required by the policy.
async fn enrol_form(
    p: &Provider,
    lang: Lang,
    user: &User,
    begun: &Begun,
    (name, request): (&str, &str),
    error: Option<Text>,
) -> Response {
    let request = login::pending(p, request).map_or("", |_| request);
    let config = p.config();
    let why = match second_factor::due(p, user, now()).await {
        Ok(Due::By(until)) => EnrolWhy::Required {
            until: Some(pages::local_time(until, config.ui.time_zone)),
        },
        Ok(Due::Now) => EnrolWhy::Required { until: None },
        Ok(Due::No) if request.is_empty() => EnrolWhy::Chosen,
        Ok(Due::No) => EnrolWhy::AppAsks,
        Err(e) => return unavailable(p, lang, e),
    };
    let form = EnrolForm {
        token: &begun.token,
        key_uri: &totp::key_uri(&begun.secret, &config.ui.product_name, &user.username),
        typed_key: &totp::typed_key(&begun.secret),
        name,
        request,
        why,
        error,
    };
    html(p, factor_pages::enrol(lang, &form)).into_response()
}

/// After the password, or for a step-up: the login or session waits for its second factor,
/// and the form asks for it.
pub(super) async fn ask(p: &Provider, lang: Lang, pending: &Pending) -> Response {
    match second_step::park(p, pending, now()).await {
        Ok(ticket) => step_page(p, lang, &ticket, None, StatusCode::OK).await,
        Err(e) => unavailable(p, lang, e),
    }
}

/// The second-step page of the login waiting under `ticket`, offering what the user has (a
/// passkey ceremony begun anew each time); the "start again" notice when none waits.
async fn step_page(
    p: &Provider,
    lang: Lang,
    ticket: &str,
    error: Option<Text>,
    status: StatusCode,
) -> Response {
    match second_step::choices(p, ticket, now()).await {
        Ok(Some(choices)) => {
            let page = factor_pages::second_step(lang, ticket, &choices, error);
            (status, html(p, page)).into_response()
        }
        Ok(None) => login_gone(p, lang),
        Err(e) => unavailable(p, lang, e),
    }
}

/// The login waiting for its second step is gone (finished, timed out, never begun).
fn login_gone(p: &Provider, lang: Lang) -> Response {
    let desk = &p.config().helpdesk;
    let back = Some(("/login", Text::LoginTitle));
    let page = pages::notice(
        lang,
        Text::SecondFactorTitle,
        Text::SessionExpired,
        back,
        desk,
    );
    (StatusCode::GONE, html(p, page)).into_response()
}

/// The second step's passkey or code: the session (or the forced password change) when it is
/// right.
pub async fn second_step(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let ticket = field("ticket");
    let now = now();
    let too_many = (Some(Text::TooManyAttempts), StatusCode::TOO_MANY_REQUESTS);
    let address = match admit(&p, &headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => return step_page(&p, lang, ticket, too_many.0, too_many.1).await,
        Err(refusal) => return refused(&p, lang, refusal),
    };
    let answer = match field("passkey") {
        "" => Answer::Code(field("code")),
        passkey => Answer::Passkey {
            ticket: passkey,
            answer: field("credential"),
        },
    };
    let wrong = match answer {
        Answer::Code(_) => Text::WrongOneTimeCode,
        Answer::Passkey { .. } => Text::PasskeyRefused,
    };
    let (user, pending, proof) = match second_step::attempt(&p, ticket, answer, &address, now).await
    {
        Ok(SecondStep::Passed {
            user,
            pending,
            proof,
        }) => (user, pending, proof),
        Ok(SecondStep::WrongCode) => {
            return step_page(&p, lang, ticket, Some(wrong), StatusCode::OK).await
        }
        Ok(SecondStep::Locked) => return step_page(&p, lang, ticket, too_many.0, too_many.1).await,
        Ok(SecondStep::Expired) => return login_gone(&p, lang),
        Err(e) => return unavailable(&p, lang, e),
    };
    let method = proof.method();
    if let Some(stepped_up) = &pending.step_up {
        let then = (pending.request.as_str(), pending.back.as_deref());
        return step_up(&p, &headers, (lang, &user), (stepped_up, method), then).await;
    }
    let proven = Proven::password().and(method);
    let mut response = match pending.must_change {
        true => password::ask_for_new(&p, lang, &user.id, &pending.request, &proven, None).await,
        false => {
            let sealed = &pending.request;
            login::logged_in(&p, &headers, lang, &user, sealed, proven, now).await
        }
    };
    login::remember_device(&p, &mut response, &user.id, pending.known_device);
    response
}

/// A step-up's code was right: the browser's session (the one that asked) records the factor,
/// and the authorization request goes on with it.
async fn step_up(
    p: &Provider,
    headers: &HeaderMap,
    (lang, user): (Lang, &User),
    (stepped_up, method): (&str, Method),
    (sealed, back): (&str, Option<&str>),
) -> Response {
    let same = current(p, headers)
        .await
        .is_some_and(|(session, _)| session.id_hash == stepped_up);
    if !same {
        return redirect("/login");
    }
    let session = match session::prove(p.store.as_ref(), stepped_up, &user.id, method).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect("/login"),
        Err(e) => return unavailable(p, lang, e),
    };
    match (login::pending(p, sealed), back) {
        (Some(request), _) => oidc::complete(p, &request, &session, user, now()).await,
        // Only a path of the provider's own.
        (None, Some(back)) if back.starts_with('/') && !back.starts_with("//") => redirect(back),
        (None, _) => redirect("/"),
    }
}

/// `/account/second-factor/remove?factor=…`: the password asked before an app is removed.
pub async fn remove_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let factor = q.get("factor").map(String::as_str).unwrap_or("");
    confirm_removal(&p, lang, &user, factor, None).await
}

/// The removal form for the user's factor `factor_id`; Beranda when there is no such factor.
async fn confirm_removal(
    p: &Provider,
    lang: Lang,
    user: &User,
    factor_id: &str,
    error: Option<Text>,
) -> Response {
    let factors = match p.store.factors(&user.id).await {
        Ok(f) => f,
        Err(e) => return unavailable(p, lang, e),
    };
    let Some(factor) = factors.iter().find(|f| f.id == factor_id) else {
        return redirect("/#second-factor");
    };
    let name = factor_pages::factor_name(lang, factor);
    let change = ConfirmChange {
        factor: Some((&factor.id, name)),
        last: factors.len() == 1,
        error,
    };
    html(p, factor_pages::confirm_change(lang, &change)).into_response()
}

/// Removes an app once the password confirms it.
pub async fn remove(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let now = now();
    let address = match reauthenticate(&p, &headers, (lang, &user), field("current"), now).await {
        Ok(address) => address,
        Err(Reauth::Wrong(text)) => {
            return confirm_removal(&p, lang, &user, field("factor"), Some(text)).await
        }
        Err(Reauth::Answered(answer)) => return answer,
    };
    match second_factor::remove(&p, &user, field("factor"), &address, now).await {
        Ok(_) => redirect("/#second-factor"),
        Err(e) => unavailable(&p, lang, e),
    }
}

/// `/account/recovery-codes`: the password asked before a new set replaces the codes.
pub async fn renew_codes_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    if let Some(elsewhere) = without_codes(&p, lang, &user).await {
        return elsewhere;
    }
    confirm_renewal(&p, lang, None)
}

/// Beranda for a user without two-step verification (no codes to renew); `None` for one with.
async fn without_codes(p: &Provider, lang: Lang, user: &User) -> Option<Response> {
    match second_step::needed(p, user).await {
        Ok(true) => None,
        Ok(false) => Some(redirect("/#second-factor")),
        Err(e) => Some(unavailable(p, lang, e)),
    }
}

fn confirm_renewal(p: &Provider, lang: Lang, error: Option<Text>) -> Response {
    let change = ConfirmChange {
        factor: None,
        last: false,
        error,
    };
    html(p, factor_pages::confirm_change(lang, &change)).into_response()
}

/// A new set of recovery codes once the password confirms it: shown once.
pub async fn renew_codes(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    if let Some(elsewhere) = without_codes(&p, lang, &user).await {
        return elsewhere;
    }
    let now = now();
    let password = form.field("current");
    let address = match reauthenticate(&p, &headers, (lang, &user), password, now).await {
        Ok(address) => address,
        Err(Reauth::Wrong(text)) => return confirm_renewal(&p, lang, Some(text)),
        Err(Reauth::Answered(answer)) => return answer,
    };
    match second_factor::new_recovery_codes(&p, &user, &address).await {
        Ok(codes) => {
            let page = factor_pages::recovery_codes(lang, &codes, Text::CodesRenewed, "");
            html(&p, page).into_response()
        }
        Err(e) => unavailable(&p, lang, e),
    }
}

/// Why a re-authentication did not pass.
pub(super) enum Reauth {
    /// The form again, saying this.
    Wrong(Text),
    /// Another answer: a refused request, or the store failed.
    Answered(Response),
}

/// Whether `password` is the user's, within the address's limit on attempts: the client
/// address when it is.
pub(super) async fn reauthenticate(
    p: &Provider,
    headers: &HeaderMap,
    (lang, user): (Lang, &User),
    password: &str,
    now: u64,
) -> Result<String, Reauth> {
    let address = match admit(p, headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => return Err(Reauth::Wrong(Text::TooManyAttempts)),
        Err(refusal) => return Err(Reauth::Answered(refused(p, lang, refusal))),
    };
    match profile::confirm_password(p, user, password).await {
        Ok(true) => Ok(address),
        Ok(false) => Err(Reauth::Wrong(Text::WrongPassword)),
        Err(e) => Err(Reauth::Answered(unavailable(p, lang, e))),
    }
}
