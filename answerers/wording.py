"""Readings of a question's wording that a suggested fact must agree with (the guard, guard.py, applies
them): who or what the question is about (a third party, another app platform, a recovery site, the
company's own particulars), what it asks for (people, a date, a commitment to the customer's terms, a
right to audit) and when (after a past event, after the account or contract ends). Each pattern came from
wrong suggestions on questionnaires written by strangers; the README's checks list says which.
"""

from __future__ import annotations

import re

# The company's own particulars and commercial terms, asked on a questionnaire's first page.
COMPANY_PROFILE = re.compile(
    r"\b(?:year (?:founded|established|incorporated)|founded|headquarter(?:s|ed)?|head office|in business|"
    r"incorporated|incorporation|annual (?:revenue|turnover)|parent company|publicly traded|stock exchange|"
    r"number of employees|employee count|company size|"
    # commercial terms: "What is your current funding status?", "Do you offer enterprise licensing or per-seat?"
    r"funding(?: status| round)?|pricing|cost model|licensing model|enterprise licensing|per[- ]seat|"
    r"payment terms|invoicing)\b",
    re.IGNORECASE,
)

# The person filling in the form, asked about themselves: "Are you the individual responsible for the
# software in your organisation?" asks whether the respondent holds that role, not whether someone does.
RESPONDENT = re.compile(
    r"\bare you (?:the|an?) (?:individual|person|owner|officer|signatory|representative|"
    r"(?:named|designated|authori[sz]ed|responsible) (?:individual|person|contact|officer|signatory))\b",
    re.IGNORECASE,
)

# A named body's approval the question asks for ("a security vendor approved by MasterCard", "certified by
# the PCI Council"): whether the vendor's practice has it is for a person, unless the fact names the body.
APPROVED_BY = re.compile(
    r"\b(?:approved|certified|accredited|authori[sz]ed|recogni[sz]ed|endorsed|listed|qualified)\s+by\s+"
    r"(?:the\s+)?((?:[A-Z][\w&-]*)(?:\s+[A-Z][\w&-]*)*)"
)

# "Do employees need approval to access customer data?", "Does access require manager sign-off?": whether a
# step needs someone's approval first, which a fact stating when the step happens does not say.
NEEDS_APPROVAL = re.compile(
    r"\b(?:need|needs|require|requires|required|subject to)\s+(?:(?:prior|formal|written|explicit|management|"
    r"manager|managerial|customer)\s+)?(?:approval|authori[sz]ation|sign[- ]off|consent)\b|"
    r"\bapproved\s+(?:before|prior to|in advance)\b",
    re.IGNORECASE,
)
APPROVAL = re.compile(r"\b(?:approv\w*|authori[sz]\w*|sign[- ]off|consent\w*|permission)\b", re.IGNORECASE)

# Parties other than the vendor answering: its providers, sub-processors, suppliers, partners.
THIRD_PARTIES = re.compile(
    r"\b(?:providers|sub-?processors?|sub-?contractors?|third[- ]part(?:y|ies)|partners|suppliers|vendors|"
    r"aws|azure|gcp|heroku|hosting)\b",
    re.IGNORECASE,
)

# Platforms an app is built on or plugs into, by family: a question about one is not answered by a fact
# about another ("GitHub Apps must ..." against a Jira app's fact). Hosting providers are not among them.
PLATFORM_FAMILIES = {
    "atlassian": r"atlassian|jira|confluence|forge",
    "github": r"github",
    "gitlab": r"gitlab",
    "bitbucket": r"bitbucket",
    "slack": r"slack",
    "salesforce": r"salesforce|appexchange",
    "shopify": r"shopify",
    "microsoft teams": r"microsoft teams|ms teams",
    "zoom": r"zoom",
    "hubspot": r"hubspot",
    "intuit": r"intuit|quickbooks",
    "xero": r"xero",
    "zendesk": r"zendesk",
}
PLATFORM = [(name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for name, pattern in PLATFORM_FAMILIES.items()]


def platforms(text: str) -> frozenset[str]:
    """The app platforms ``text`` names, by family ("Jira" and "Forge" are both Atlassian)."""
    return frozenset(name for name, pattern in PLATFORM if pattern.search(text or ""))


# "The DR data centers", "recovery sites", "secondary region": a site other than the primary one.
OTHER_SITE = re.compile(
    r"\b(dr|disaster recovery|recovery|backup|back-up|secondary|failover|fail-over|alternate|standby)\s+"
    r"(?:\(disaster recovery\)\s+)?(?:data ?cent(?:er|re)s?|sites?|locations?|facilit(?:y|ies)|regions?)\b",
    re.IGNORECASE,
)
SITE_QUALIFIER = re.compile(
    r"\b(?:dr|disaster|recovery|recover|backups?|back-ups?|secondary|failover|fail-over|alternate|standby|"
    r"replicat\w*|availability zones?|multi-az|regions)\b",
    re.IGNORECASE,
)
# "After an account closes", "upon termination of the contract", "after cancellation": the end of the
# relationship, and what a fact must speak of to say what happens then.
AFTER_THE_END = re.compile(
    r"\b(?:after|upon|on|following)\s+(?:(?:an?|the|your|our|their)\s+)?(?:(?:account|contract|subscription|"
    r"service|agreement|relationship)\s+(?:closes|is closed|closure|ends|has ended|is terminated|terminates|"
    r"termination|expires|expiry|is cancell?ed|cancell?ation)|cancell?ation|account closure|"
    # not a bare "termination" or "offboarding": "access revoked upon termination" is an employee's
    r"contract end|uninstall\w*)\b",
    re.IGNORECASE,
)
END_EVENT = re.compile(
    r"\b(?:uninstall\w*|terminat\w*|contract ends?|end of (?:the )?contract|cancell?\w*|clos(?:ed|es|ure)|"
    r"offboard\w*|exit)\b",
    re.IGNORECASE,
)
# "Can we review them?", "May our auditors inspect ...?", "Can we do a Business Continuity audit?": the
# customer asking to review, audit or visit.
CUSTOMER_AUDIT = re.compile(
    r"\b(?:can|may|could|will|would)\s+(?:we|our (?:auditors?|team|staff)|the customer|customers)\b[^?]{0,40}?"
    r"\b(?:review|audit|inspect|see|visit|assess|examine)\b[^?]*",
    re.IGNORECASE,
)
# "Who will be part of ...?", "Who is responsible for ...?": people asked for, a person or role to answer.
ASKS_WHO = re.compile(r"^\W*(?:who|whom)\b", re.IGNORECASE)
# "Why should I trust you with my passwords?", "Why is this happening?": a reason, for a person to give.
ASKS_WHY = re.compile(r"^\W*why\b|[.?!]\s+why\b", re.IGNORECASE)
# A user of the product asking for themselves ("How do I enable SSO?", "Can I retain my ID?"): a product
# FAQ's how-to question, not one a customer puts to a vendor ("I" as a capital word only, not "I/O" or "i.e.").
FIRST_PERSON = re.compile(r"\bI\b(?![./&-])|\b(?:[Mm]y|[Mm]e|[Mm]ine)\b")
SOMEONE = re.compile(
    r"\b(?:cto|ceo|ciso|cio|coo|dpo|founders?|officers?|teams?|staff|engineers?|employees?|personnel|managers?|"
    r"management|leads?|owners?|owns|head|directors?|administrators?|admins?|persons?|people|individuals?|"
    r"committees?|board|champions?|rota|on-call|analysts?|auditors?|firms?|provider|providers|vendors?|"
    r"customers?|users?|partners?|contractors?|consultants?|counsel|named)\b",
    re.IGNORECASE,
)

# "If your organisation has had a data breach, ...", "In the event that you experienced an incident in the
# last year, ...": a question conditional on an event in the past.
IF_IT_HAPPENED = re.compile(
    r"^\W*(?:if|where|in the event that|in case)\b[^?.;]{0,80}?\b(?:has|have|had)\s+(?:had|experienced|suffered|"
    r"been subject to|been affected by)\b",
    re.IGNORECASE,
)
# "Note when the policies were last reviewed", "state when the plan was last tested": the date of the
# last time, asked without "When was ...?" (form.asks_for_date).
WHEN_LAST = re.compile(
    r"\bwhen\b[^?.:]{0,80}?\b(?:was|were|has been|have been|is|are)\s+(?:last|most recently)\b", re.IGNORECASE
)
# "A dedicated security team", "full-time security staff": someone whose whole job it is.
DEDICATED = re.compile(r"\b(?:dedicated|full[- ]time)\b", re.IGNORECASE)
# "Will you accept breach notification requirements?", "Do you agree to our data protection terms?": a
# commitment to the customer's own terms, asked of the vendor.
AGREE_TO_TERMS = re.compile(
    r"\b(?:accept|agree to|consent to|abide by|sign up to|commit to)\s+(?:the |our |these |such |any |all )?"
    r"(?:[\w-]+\s+){0,3}?(?:requirements?|terms|clauses?|provisions|obligations|conditions|addend(?:um|a))\b",
    re.IGNORECASE,
)

# "What arrangements are in place where this data is stored?": a clause after "in place" (or "used",
# "implemented") that places what the question asks about. A question opening with "where" asks for the
# place; this does not. ("A process where data is deleted" is left alone: there the clause is the content.)
PLACE_CLAUSE = re.compile(
    r"\b(?:in place|implemented|applied|used|available|exist|enforced)"
    r"(?P<clause>[\s,]+(?:where|in which|at which|wherever)\s+[^?]*)",
    re.IGNORECASE,
)


def place_clause(question: str) -> str | None:
    """The "... where <the thing> is kept" clause following a question's main clause, or None."""
    text = question or ""
    if re.match(r"^\W*where\b", text, re.IGNORECASE):
        return None
    m = PLACE_CLAUSE.search(text)
    return m.group("clause") if m else None
