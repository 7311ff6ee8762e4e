//! The `[ui]` table (the pages' branding) and the texts an operator writes for people to read.

use std::sync::Arc;

use url::Url;

use crate::model::{Asset, Color, Localized, TimeZone, Ui};
use crate::raw::{RawText, RawUi, S};
use crate::validate::Checker;

/// The least contrast of the primary colour on white: buttons carry white text on it and links
/// are drawn in it (WCAG 1.4.3, normal text).
pub const MIN_CONTRAST: f64 = 4.5;

/// The largest logo or favicon read (they are sent with every page that shows them).
const MAX_ASSET_BYTES: u64 = 256 * 1024;

impl From<&RawText> for Localized {
    fn from(raw: &RawText) -> Self {
        match raw {
            RawText::Plain(text) => Localized::plain(text.clone()),
            RawText::PerLanguage(p) => Localized::new(p.id.clone(), p.en.clone()),
        }
    }
}

impl Checker<'_> {
    pub(crate) fn ui(&mut self, raw: &RawUi) -> Option<Ui> {
        let defaults = Ui::default();
        let product_name = match &raw.product_name {
            Some(name) if name.get_ref().trim().is_empty() => {
                self.report(name.span(), "ui.product_name", "the product name is empty");
                None
            }
            Some(name) => Some(name.get_ref().trim().to_string()),
            None => Some(defaults.product_name),
        };
        let logo = self.asset(raw.logo.as_ref(), "ui.logo");
        let favicon = self.asset(raw.favicon.as_ref(), "ui.favicon");
        let primary_color = self.color(raw.primary_color.as_ref());
        let terms_url = self.page_url(raw.terms_url.as_ref(), "ui.terms_url");
        let privacy_url = self.page_url(raw.privacy_url.as_ref(), "ui.privacy_url");
        let time_zone = self.time_zone(raw.time_zone.as_ref());
        Some(Ui {
            product_name: product_name?,
            logo: logo?,
            favicon: favicon?,
            primary_color: primary_color?,
            terms_url: terms_url?,
            privacy_url: privacy_url?,
            time_zone: time_zone?,
        })
    }

    fn time_zone(&mut self, raw: Option<&S<String>>) -> Option<TimeZone> {
        let Some(raw) = raw else {
            return Some(TimeZone::default());
        };
        let zone = TimeZone::named(raw.get_ref());
        if zone.is_none() {
            self.report(
                raw.span(),
                "ui.time_zone",
                format!(
                    "`{}` is not one of Indonesia's zones: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)",
                    raw.get_ref()
                ),
            );
        }
        zone
    }

    /// A picture file (SVG, PNG, ICO, WebP), read now; `Some(None)` when not given.
    pub(crate) fn asset(&mut self, raw: Option<&S<String>>, key: &str) -> Option<Option<Asset>> {
        let Some(raw) = raw else {
            return Some(None);
        };
        let path = self.path(raw.get_ref());
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let content_type = match extension.to_ascii_lowercase().as_str() {
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "ico" => "image/x-icon",
            "webp" => "image/webp",
            _ => {
                self.report(
                    raw.span(),
                    key,
                    format!(
                        "{} is not an .svg, .png, .ico or .webp picture",
                        path.display()
                    ),
                );
                return None;
            }
        };
        let read = std::fs::metadata(&path).and_then(|m| {
            if m.len() > MAX_ASSET_BYTES {
                Err(std::io::Error::other(format!(
                    "it is {} KiB, more than the {} KiB a page picture may be",
                    m.len() / 1024,
                    MAX_ASSET_BYTES / 1024
                )))
            } else {
                std::fs::read(&path)
            }
        });
        match read {
            Ok(bytes) => Some(Some(Asset {
                bytes: Arc::from(bytes),
                content_type,
            })),
            Err(e) => {
                self.report(
                    raw.span(),
                    key,
                    format!("cannot use {}: {e}", path.display()),
                );
                None
            }
        }
    }

    /// `#rrggbb`, dark enough on white for white text on it and for links in it.
    fn color(&mut self, raw: Option<&S<String>>) -> Option<Option<Color>> {
        let Some(raw) = raw else {
            return Some(None);
        };
        let Some(color) = parse_color(raw.get_ref()) else {
            self.report(
                raw.span(),
                "ui.primary_color",
                format!("`{}` is not a colour written as #rrggbb", raw.get_ref()),
            );
            return None;
        };
        let contrast = color.contrast_on_white();
        if contrast < MIN_CONTRAST {
            self.report(
                raw.span(),
                "ui.primary_color",
                format!(
                    "{color} has a contrast of {contrast:.2}:1 on white; buttons and links need at least {MIN_CONTRAST}:1: choose a darker colour"
                ),
            );
            return None;
        }
        Some(Some(color))
    }

    /// An `https` (or, for a local test, `http`) address of a page people open.
    fn page_url(&mut self, raw: Option<&S<String>>, key: &str) -> Option<Option<Url>> {
        let Some(raw) = raw else {
            return Some(None);
        };
        match Url::parse(raw.get_ref()) {
            Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {
                Some(Some(url))
            }
            _ => {
                self.report(
                    raw.span(),
                    key,
                    format!("`{}` is not an https:// address", raw.get_ref()),
                );
                None
            }
        }
    }
}

fn parse_color(text: &str) -> Option<Color> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color([byte(0)?, byte(2)?, byte(4)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_and_their_contrast_is_wcag_s() {
        assert_eq!(parse_color("#0b5cab"), Some(Color([0x0b, 0x5c, 0xab])));
        assert_eq!(parse_color("0b5cab"), None);
        assert_eq!(parse_color("#0b5ca"), None);
        assert_eq!(parse_color("#zz5cab"), None);
        assert_eq!(parse_color("#ééé"), None);
        let black = Color([0, 0, 0]).contrast_on_white();
        assert!((black - 21.0).abs() < 0.01, "{black}");
        let white = Color([255, 255, 255]).contrast_on_white();
        assert!((white - 1.0).abs() < 0.01, "{white}");
        // #767676 is the lightest grey with 4.5:1 on white.
        let grey = Color([0x76, 0x76, 0x76]).contrast_on_white();
        assert!((4.5..4.6).contains(&grey), "{grey}");
    }

    #[test]
    fn a_text_falls_back_to_indonesian() {
        let both = Localized::new("Perizinan", Some("Licensing".into()));
        assert_eq!((both.get("id"), both.get("en")), ("Perizinan", "Licensing"));
        let plain = Localized::plain("OSS");
        assert_eq!((plain.get("id"), plain.get("en")), ("OSS", "OSS"));
    }
}
