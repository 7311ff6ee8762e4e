//! The pages' words, in Indonesian (the default) and English. Every key exists in both: the
//! table is one `match` per key, so a missing translation does not compile.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// The first supported language of `ui_locales` (space-separated) or `Accept-Language`.
    pub fn choose(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
        let wanted = ui_locales
            .map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
            .or_else(|| {
                accept_language.map(|a| {
                    a.split(',')
                        .map(|p| p.split(';').next().unwrap_or("").trim().to_string())
                        .collect()
                })
            })
            .unwrap_or_default();
        for tag in wanted {
            match tag
                .split('-')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
                .as_str()
            {
                "id" | "in" => return Lang::Id,
                "en" => return Lang::En,
                _ => {}
            }
        }
        Lang::Id
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    LoginTitle,
    Username,
    Password,
    Captcha,
    CaptchaHelp,
    CaptchaAudio,
    CaptchaRefresh,
    LoginButton,
    Register,
    ForgotPassword,
    WrongCredentials,
    WrongCaptcha,
    TooManyAttempts,
    Busy,
    Helpdesk,
    ErrorTitle,
    BadRequest,
    LoggedInAs,
    SwitchLanguage,
    LogoutTitle,
    LogoutQuestion,
    LoggedOut,
    ConsentTitle,
    ConsentQuestion,
    Allow,
    Deny,
}

pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (text, lang) {
        (LoginTitle, Lang::Id) => "Masuk",
        (LoginTitle, Lang::En) => "Log in",
        (Username, Lang::Id) => "User Name atau Email",
        (Username, Lang::En) => "User name or e-mail",
        (Password, Lang::Id) => "Password",
        (Password, Lang::En) => "Password",
        (Captcha, Lang::Id) => "Captcha",
        (Captcha, Lang::En) => "Captcha",
        (CaptchaHelp, Lang::Id) => "Ketik tulisan pada gambar.",
        (CaptchaHelp, Lang::En) => "Type the word in the picture.",
        (CaptchaAudio, Lang::Id) => "Dengarkan captcha",
        (CaptchaAudio, Lang::En) => "Listen to the captcha",
        (CaptchaRefresh, Lang::Id) => "Ganti gambar",
        (CaptchaRefresh, Lang::En) => "Another picture",
        (LoginButton, Lang::Id) => "Masuk",
        (LoginButton, Lang::En) => "Log in",
        (Register, Lang::Id) => "Daftar",
        (Register, Lang::En) => "Register",
        (ForgotPassword, Lang::Id) => "Lupa Password?",
        (ForgotPassword, Lang::En) => "Forgot password?",
        (WrongCredentials, Lang::Id) => "User name atau password salah.",
        (WrongCredentials, Lang::En) => "The user name or password is wrong.",
        (WrongCaptcha, Lang::Id) => "Captcha salah atau kedaluwarsa. Silakan coba lagi.",
        (WrongCaptcha, Lang::En) => "The captcha is wrong or expired. Please try again.",
        (TooManyAttempts, Lang::Id) => {
            "Terlalu banyak percobaan. Silakan coba lagi beberapa saat lagi."
        }
        (TooManyAttempts, Lang::En) => "Too many attempts. Please try again in a while.",
        (Busy, Lang::Id) => "Layanan sedang sibuk. Silakan coba lagi sebentar lagi.",
        (Busy, Lang::En) => "The service is busy. Please try again in a moment.",
        (Helpdesk, Lang::Id) => "Butuh bantuan? Hubungi Layanan OSS:",
        (Helpdesk, Lang::En) => "Need help? Contact the OSS helpdesk:",
        (ErrorTitle, Lang::Id) => "Terjadi kesalahan",
        (ErrorTitle, Lang::En) => "Something went wrong",
        (BadRequest, Lang::Id) => "Permintaan masuk dari aplikasi ini tidak valid.",
        (BadRequest, Lang::En) => "The login request from this application is not valid.",
        (LoggedInAs, Lang::Id) => "Anda masuk sebagai",
        (LoggedInAs, Lang::En) => "You are logged in as",
        (SwitchLanguage, Lang::Id) => "English",
        (SwitchLanguage, Lang::En) => "Bahasa Indonesia",
        (LogoutTitle, Lang::Id) => "Keluar",
        (LogoutTitle, Lang::En) => "Log out",
        (LogoutQuestion, Lang::Id) => "Keluar dari semua aplikasi OSS?",
        (LogoutQuestion, Lang::En) => "Log out of every OSS application?",
        (LoggedOut, Lang::Id) => "Anda sudah keluar.",
        (LoggedOut, Lang::En) => "You are logged out.",
        (ConsentTitle, Lang::Id) => "Izin akses",
        (ConsentTitle, Lang::En) => "Allow access",
        (ConsentQuestion, Lang::Id) => "meminta akses ke data Anda berikut:",
        (ConsentQuestion, Lang::En) => "asks for access to this data of yours:",
        (Allow, Lang::Id) => "Izinkan",
        (Allow, Lang::En) => "Allow",
        (Deny, Lang::Id) => "Tolak",
        (Deny, Lang::En) => "Deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        assert_eq!(Lang::choose(Some("en"), None), Lang::En);
        assert_eq!(Lang::choose(Some("fr en-GB"), None), Lang::En);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("id-ID,en;q=0.5")), Lang::Id);
        assert_eq!(Lang::choose(None, None), Lang::Id);
    }
}
