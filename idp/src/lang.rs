//! The languages Gerbang speaks to people (pages and mail): Indonesian, the default, and
//! English. Below the account, mail and web layers, which all choose by it.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
