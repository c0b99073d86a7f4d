//! Text laid out for the PDFs the service writes (receipts, the citizen's export, the
//! travel authorisation, letters): words wrapped into lines that fit. The PDFs measure
//! lines in points with their font (`pdf_fonts::wrap`); [`wrap`] counts characters.

/// `text`'s words in lines for which `fits` holds, each as long as it can be (a word that
/// does not fit alone has a line of its own); white space between words becomes one space.
pub fn wrap_by(text: &str, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() {
            let longer = format!("{line} {word}");
            if fits(&longer) {
                line = longer;
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text`'s words in lines of at most `width` characters (a longer word has a line of its
/// own); white space between words becomes one space.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_by(text, |line| line.chars().count() <= width)
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_are_wrapped_and_long_ones_kept_whole() {
        assert_eq!(super::wrap("a bb  ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(super::wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert!(super::wrap("   ", 4).is_empty());
    }
}
