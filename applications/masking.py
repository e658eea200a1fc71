"""Applicants' personal data as shown where it is not needed: lists, exports, auditors.

The masks follow what agencies publish (DOMAIN.md): a mobile number keeps its first 3 and
last 4 digits (138****1234), an ID number its first 2 and last 3, an e-mail its first
character and domain, an address its first 6 characters (about down to the district). A
natural person's name keeps the surname; an organisation's name is not personal data.
"""


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    value = value.strip()
    if len(value) <= 5:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 5) + value[-3:]


def mask_email(value: str) -> str:
    name, at, domain = value.partition("@")
    if not at:
        return mask_phone(value)
    return (name[:1] + "***" if name else "") + "@" + domain


def mask_address(value: str) -> str:
    value = value.strip()
    return value[:6] + ("****" if len(value) > 6 else "")


def mask_name(value: str, *, natural_person: bool) -> str:
    if not natural_person or not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


PERSONAL_FIELDS = ("applicant_name", "applicant_id_number", "contact_phone", "contact_address",
                   "contact_email")


def masked(application) -> dict:
    """The personal fields of `application`, masked."""
    natural = application.applicant_type == "natural_person"
    return {
        "applicant_name": mask_name(application.applicant_name, natural_person=natural),
        "applicant_id_number": mask_id_number(application.applicant_id_number),
        "contact_phone": mask_phone(application.contact_phone),
        "contact_address": mask_address(application.contact_address),
        "contact_email": mask_email(application.contact_email) if application.contact_email
        else "",
    }
