//! How pages, CSVs and the API's labels name the domain's codes: a tenure
//! as "Rents privately", not `private-rent`; an entry channel as "Knocked
//! on their door", not `doorstep`. The codes stay the keys.

use sync_core::{
    AreaConfig, ConsentPurpose, EntryChannel, EventKind, Hat, LawfulBasis, ResidentBasis, Role,
    StageRule, Tenure,
};

/// A patch by the name the area gives it, or its code when the area does
/// not list it (or is not set up).
pub fn patch_name(area: Option<&AreaConfig>, slug: &str) -> String {
    area.and_then(|a| a.patch(slug))
        .map_or_else(|| slug.to_owned(), |p| p.name.clone())
}

/// What counts as reaching a ladder stage.
pub fn stage_rule(rule: StageRule) -> &'static str {
    match rule {
        StageRule::Contacted => "Any contact recorded",
        StageRule::Conversation => "Spoke with us (a conversation or an event sign-up)",
        StageRule::Interested => "Wants to hear more, or to join something",
        StageRule::Participant => "Came to an event or activity",
        StageRule::Volunteer => "Helped run something",
        StageRule::WorkingGroup => "Joined a working group",
        StageRule::PartnershipMember => "Holds a seat on the partnership",
        StageRule::Leader => "Leads: chair, vice-chair, treasurer or a group's lead",
    }
}

/// A seat or an office on the partnership.
pub fn role(role: Role) -> &'static str {
    match role {
        Role::PartnershipMember => "Partnership member",
        Role::Chair => "Chair",
        Role::ViceChair => "Vice-chair",
        Role::Treasurer => "Treasurer",
        Role::GroupLead => "Group lead",
    }
}

/// Another hat someone on the board wears.
pub fn hat(hat: Hat) -> &'static str {
    match hat {
        Hat::Councillor => "Councillor",
        Hat::PaidWorker => "Paid worker",
        Hat::AgencyRepresentative => "Agency representative",
        Hat::Other => "Another declared interest",
    }
}

/// How many wear a hat, in words: "1 councillor", "2 paid workers".
pub fn hat_count(hat: Hat, count: usize) -> String {
    let (one, many) = match hat {
        Hat::Councillor => ("councillor", "councillors"),
        Hat::PaidWorker => ("paid worker", "paid workers"),
        Hat::AgencyRepresentative => ("agency representative", "agency representatives"),
        Hat::Other => (
            "with another declared interest",
            "with another declared interest",
        ),
    };
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A kind of event.
pub fn event_kind(kind: EventKind) -> &'static str {
    match kind {
        EventKind::FunDay => "Fun day",
        EventKind::YouthSession => "Youth session",
        EventKind::Training => "Training",
        EventKind::Meeting => "Meeting",
        EventKind::Consultation => "Consultation",
        EventKind::Other => "Something else",
    }
}

/// What a consent is for.
pub fn purpose(purpose: ConsentPurpose) -> &'static str {
    match purpose {
        ConsentPurpose::ContactAgain => "Contacting them again",
        ConsentPurpose::Events => "Telling them about events",
        ConsentPurpose::Volunteering => "Asking them to volunteer",
        ConsentPurpose::EqualityMonitoring => "Equality monitoring (their ethnicity)",
    }
}

/// A UK GDPR lawful basis, with its article.
pub fn lawful_basis(basis: LawfulBasis) -> &'static str {
    match basis {
        LawfulBasis::Consent => "Consent (Article 6(1)(a))",
        LawfulBasis::LegitimateInterests => "Legitimate interests (Article 6(1)(f))",
    }
}

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

/// A name kept as a slug (a working group, `events-team`) as people write
/// it: "Events team".
pub fn slug_words(slug: &str) -> String {
    let words = slug.replace(['-', '_'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_read_as_words() {
        assert_eq!(slug_words("events-team"), "Events team");
        assert_eq!(slug_words("youth_forum"), "Youth forum");
        assert_eq!(slug_words(""), "");
    }
}
