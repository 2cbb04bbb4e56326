//! How pages, CSVs and the API's labels name the domain's codes: a tenure
//! as "Rents privately", not `private-rent`; an entry channel as "Knocked
//! on their door", not `doorstep`. The codes stay the keys.

use sync_core::{EntryChannel, ResidentBasis, Tenure};

/// A reason someone counts as a resident.
pub fn residency(basis: ResidentBasis) -> &'static str {
    match basis {
        ResidentBasis::Lives => "Lives in the area",
        ResidentBasis::Works => "Works in the area",
        ResidentBasis::Studies => "Studies in the area",
        ResidentBasis::Worships => "Worships in the area",
        ResidentBasis::Other => "Another connection to the area",
    }
}

/// A housing tenure.
pub fn tenure(tenure: Tenure) -> &'static str {
    match tenure {
        Tenure::Owner => "Owns their home",
        Tenure::SocialRent => "Rents from the council or a housing association",
        Tenure::PrivateRent => "Rents privately",
        Tenure::WithFamily => "Lives with family",
        Tenure::Other => "Something else",
    }
}

/// How someone first came to us.
pub fn channel(channel: EntryChannel) -> &'static str {
    match channel {
        EntryChannel::Doorstep => "Knocked on their door",
        EntryChannel::Event => "Signed up at an event",
        EntryChannel::YouthSession => "Signed up at a youth session",
        EntryChannel::Referral => "Referred to us",
        EntryChannel::Other => "Another way",
    }
}

/// A stored entry channel's label, or the text itself when it is not one.
pub fn channel_text(text: &str) -> String {
    EntryChannel::parse(text).map_or_else(|| text.to_owned(), |c| channel(c).to_owned())
}

/// A stored tenure's label, or the text itself when it is not one.
pub fn tenure_text(text: &str) -> String {
    Tenure::parse(text).map_or_else(|| text.to_owned(), |t| tenure(t).to_owned())
}
