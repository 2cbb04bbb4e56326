//! Languages by name. People's preferred language is stored as an ISO 639
//! code (two letters where there is one, `so`, `ur`; three otherwise,
//! `bsl`); pages, CSVs and forms show its English name.
//! The list holds the main languages of England and Wales in the 2021
//! Census, and a few more; a code not in it is shown as it was recorded.

/// Codes and names, by name.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("sq", "Albanian"),
    ("am", "Amharic"),
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("bsl", "British Sign Language"),
    ("bg", "Bulgarian"),
    ("yue", "Cantonese"),
    ("zh", "Chinese"),
    ("cs", "Czech"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("el", "Greek"),
    ("gu", "Gujarati"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("ga", "Irish"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ku", "Kurdish"),
    ("lv", "Latvian"),
    ("lt", "Lithuanian"),
    ("ml", "Malayalam"),
    ("cmn", "Mandarin"),
    ("ne", "Nepali"),
    ("ps", "Pashto"),
    ("fa", "Persian (Farsi)"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("pa", "Punjabi"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("gd", "Scottish Gaelic"),
    ("sk", "Slovak"),
    ("so", "Somali"),
    ("es", "Spanish"),
    ("sw", "Swahili"),
    ("ta", "Tamil"),
    ("te", "Telugu"),
    ("th", "Thai"),
    ("ti", "Tigrinya"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("vi", "Vietnamese"),
    ("cy", "Welsh"),
    ("yo", "Yoruba"),
];

/// The language's name, or the text as recorded when it is not a code
/// this list knows.
pub fn name(code: &str) -> String {
    LANGUAGES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_and_unknown_text_is_kept() {
        assert_eq!(name("so"), "Somali");
        assert_eq!(name("UR"), "Urdu");
        assert_eq!(name("Tagalog"), "Tagalog");
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), LANGUAGES.len(), "a code is listed twice");
    }
}
