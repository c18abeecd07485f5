"""The ticket page's words for its conversation, canned replies, resolve rule, the customer's other tickets and the
keyboard shortcuts (key -> English msgid; the catalogues translate them). The work pages register them."""

from __future__ import annotations

from ops.l10n import N_

TICKET_PHRASES: dict[str, str] = {
    "wk_thread": N_("Conversation"),
    "wk_thread_empty": N_("No messages yet."),
    "wk_from_customer": N_("Customer"),
    "wk_kind_reply": N_("Reply"),
    "wk_kind_note": N_("Internal note"),
    "wk_other_tickets": N_("This customer's other tickets"),
    # The customer's fields as the CRM sends them (queues.intake.schemas.CustomerIn), named for the reader.
    "wk_cust_id": N_("Customer ID"),
    "wk_cust_area": N_("Area"),
    "wk_cust_segment": N_("Segment"),
    "wk_cust_handle": N_("Social media handle"),
    "wk_cust_state": N_("State or province"),
    "wk_cust_region": N_("Region"),
    "wk_cust_followers": N_("Followers"),
    "wk_no_other_tickets": N_("No other tickets from this customer."),
    "wk_canned": N_("Canned replies"),
    "wk_canned_hint": N_("Type / in the reply box to insert a canned reply."),
    "wk_placeholder_left": N_("Replace the placeholders before sending:"),
    "wk_override": N_("Reason to resolve anyway"),
    "wk_override_hint": N_("Needed while procedure steps are unticked or no reply was sent; it goes in the history."),
    "wk_resolve_blocked": N_("Before resolving: tick every procedure step and send a reply."),
    "wk_pend_note": N_("Note on why the ticket waits (internal)"),
    "wk_business_left": N_("business min"),
    "wk_business_late": N_("business min late"),
    "wk_shortcuts": N_("Keyboard shortcuts"),
    "wk_shortcuts_open": N_("Keyboard shortcuts (?)"),
    "wk_close": N_("Close"),
    "wk_shortcuts_off": N_("Turn the single-key shortcuts off"),
    "wk_key_help": N_("Show this list"),
    "wk_key_next": N_("Next ticket (on My work)"),
    "wk_key_reply": N_("Write a reply"),
    "wk_key_canned": N_("In the reply box: choose a canned reply"),
    "wk_key_note": N_("Write an internal note"),
    "wk_key_procedure": N_("Go to the procedure"),
    "wk_key_thread": N_("Go to the conversation"),
    "wk_key_history": N_("Go to the history"),
    "wk_key_resolve": N_("Open the resolve form"),
    "wk_key_home": N_("Go to My work"),
    "wk_key_escape": N_("Leave a text box or close this list"),
}
