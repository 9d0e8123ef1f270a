"""STIX 2.1 cyber observables (section 6) and their predefined extensions, property by property.

acuerdo's own observables (aircraft, vessel, vehicle, phone number) are declared in
`acuerdo.domains.intel.identifiers`; their specs are added by `validate`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from acuerdo.domains.intel._checks import (
    binary,
    boolean,
    dictionary,
    fields,
    hashes,
    hex_string,
    integer,
    list_of,
    nonempty_string,
    one_of,
    ref,
    ref_list,
    string,
    string_list,
    timestamp,
)
from acuerdo.domains.intel._spec import (
    OPEN_VOCAB,
    TypeSpec,
    at_least_one,
    not_both,
    requires,
    sco,
)
from acuerdo.ledger.types import RECORD_TYPES

ACUERDO_SCO_TYPES = frozenset(t.name for t in RECORD_TYPES if t.extension_type == "new-sco")
_MAC = re.compile(r"^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\Z")
_PORT = integer(0, 65535)
_UINT = integer(0)
_ADDR = ("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")


def _ipv4(value: Any) -> str | None:
    """An IPv4 address or CIDR block, as STIX allows (`10.0.0.0/8`)."""
    if not isinstance(value, str):
        return "must be a string"
    try:
        if "/" in value:
            ipaddress.IPv4Network(value, strict=False)
        else:
            ipaddress.IPv4Address(value)
    except ValueError:
        return f"{value!r:.60} is not an IPv4 address or CIDR block"
    return None


def _ipv6(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    try:
        if "/" in value:
            ipaddress.IPv6Network(value, strict=False)
        else:
            ipaddress.IPv6Address(value)
    except ValueError:
        return f"{value!r:.60} is not an IPv6 address or CIDR block"
    return None


def _mac(value: Any) -> str | None:
    if isinstance(value, str) and _MAC.match(value):
        return None
    return "must be a lower-case, colon-separated MAC-48 address like 00:1a:2b:3c:4d:5e"


def _email(value: Any) -> str | None:
    if isinstance(value, str) and "@" in value.strip("@"):
        return None
    return "must be an e-mail address"


def _url(value: Any) -> str | None:
    if isinstance(value, str) and ":" in value and not value.startswith(":"):
        return None
    return "must be a URL with a scheme"


_ENCRYPTION = one_of("AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated")
_REGISTRY_TYPES = one_of(
    "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
    "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
    "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST",
    "REG_QWORD", "REG_INVALID_TYPE",
)  # fmt: skip
_WINDOWS_INTEGRITY = one_of("low", "medium", "high", "system")

_MIME_PART = fields(
    {
        "body": string,
        "body_raw_ref": ref("artifact", "file"),
        "content_type": string,
        "content_disposition": string,
    }
)


def _email_body(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Section 6.6: `body` only when not multipart, `body_multipart` only when it is."""
    multipart = obj.get("is_multipart")
    if multipart is True and "body" in obj:
        return [("body", "must not be used when is_multipart is true")]
    if multipart is False and "body_multipart" in obj:
        return [("body_multipart", "must not be used when is_multipart is false")]
    return []


_FILE_EXTENSIONS = {
    "ntfs-ext": fields(
        {
            "sid": string,
            "alternate_data_streams": list_of(
                fields({"name": nonempty_string, "hashes": hashes, "size": _UINT}, ("name",))
            ),
        }
    ),
    "raster-image-ext": fields(
        {
            "image_height": _UINT,
            "image_width": _UINT,
            "bits_per_pixel": _UINT,
            "exif_tags": dictionary,
        }
    ),
    "pdf-ext": fields(
        {
            "version": string,
            "is_optimized": boolean,
            "document_info_dict": dictionary,
            "pdfid0": string,
            "pdfid1": string,
        }
    ),
    "archive-ext": fields(
        {"contains_refs": ref_list("file", "directory"), "comment": string}, ("contains_refs",)
    ),
    "windows-pebinary-ext": fields(
        {
            "pe_type": OPEN_VOCAB,
            "imphash": string,
            "machine_hex": hex_string,
            "number_of_sections": _UINT,
            "time_date_stamp": timestamp,
            "pointer_to_symbol_table_hex": hex_string,
            "number_of_symbols": _UINT,
            "size_of_optional_header": _UINT,
            "characteristics_hex": hex_string,
            "file_header_hashes": hashes,
            "optional_header": dictionary,
            "sections": list_of(dictionary),
        },
        ("pe_type",),
    ),
}

_TRAFFIC_EXTENSIONS = {
    "http-request-ext": fields(
        {
            "request_method": nonempty_string,
            "request_value": nonempty_string,
            "request_version": string,
            "request_header": dictionary,
            "message_body_length": _UINT,
            "message_body_data_ref": ref("artifact"),
        },
        ("request_method", "request_value"),
    ),
    "icmp-ext": fields(
        {"icmp_type_hex": hex_string, "icmp_code_hex": hex_string},
        ("icmp_type_hex", "icmp_code_hex"),
    ),
    "socket-ext": fields(
        {
            "address_family": nonempty_string,
            "is_blocking": boolean,
            "is_listening": boolean,
            "options": dictionary,
            "socket_type": string,
            "socket_descriptor": _UINT,
            "socket_handle": integer(),
        },
        ("address_family",),
    ),
    "tcp-ext": fields({"src_flags_hex": hex_string, "dst_flags_hex": hex_string}),
}

_PROCESS_EXTENSIONS = {
    "windows-process-ext": fields(
        {
            "aslr_enabled": boolean,
            "dep_enabled": boolean,
            "priority": string,
            "owner_sid": string,
            "window_title": string,
            "startup_info": dictionary,
            "integrity_level": _WINDOWS_INTEGRITY,
        }
    ),
    "windows-service-ext": fields(
        {
            "service_name": string,
            "descriptions": string_list,
            "display_name": string,
            "group_name": string,
            "start_type": string,
            "service_dll_refs": ref_list("file"),
            "service_type": string,
            "service_status": string,
        }
    ),
}

_USER_EXTENSIONS = {
    "unix-account-ext": fields(
        {"gid": integer(), "groups": string_list, "home_dir": string, "shell": string}
    ),
}

SCO_SPECS: dict[str, TypeSpec] = {
    "artifact": sco(
        set(),
        {
            "mime_type": string,
            "payload_bin": binary,
            "url": _url,
            "hashes": hashes,
            "encryption_algorithm": _ENCRYPTION,
            "decryption_key": string,
        },
        not_both("payload_bin", "url"),
        requires("url", "hashes"),
    ),
    "autonomous-system": sco(
        {"number"}, {"number": integer(0, 4_294_967_295), "name": string, "rir": string}
    ),
    "directory": sco(
        {"path"},
        {
            "path": nonempty_string,
            "path_enc": string,
            "ctime": timestamp,
            "mtime": timestamp,
            "atime": timestamp,
            "contains_refs": ref_list("file", "directory"),
        },
    ),
    "domain-name": sco(
        {"value"},
        {
            "value": nonempty_string,
            "resolves_to_refs": ref_list("ipv4-addr", "ipv6-addr", "domain-name"),
        },
    ),
    "email-addr": sco(
        {"value"},
        {"value": _email, "display_name": string, "belongs_to_ref": ref("user-account")},
    ),
    "email-message": sco(
        {"is_multipart"},
        {
            "is_multipart": boolean,
            "date": timestamp,
            "content_type": string,
            "from_ref": ref("email-addr"),
            "sender_ref": ref("email-addr"),
            "to_refs": ref_list("email-addr"),
            "cc_refs": ref_list("email-addr"),
            "bcc_refs": ref_list("email-addr"),
            "message_id": string,
            "subject": string,
            "received_lines": string_list,
            "additional_header_fields": dictionary,
            "body": string,
            "body_multipart": list_of(_MIME_PART),
            "raw_email_ref": ref("artifact"),
        },
        _email_body,
    ),
    "file": sco(
        set(),
        {
            "hashes": hashes,
            "size": _UINT,
            "name": string,
            "name_enc": string,
            "magic_number_hex": hex_string,
            "mime_type": string,
            "ctime": timestamp,
            "mtime": timestamp,
            "atime": timestamp,
            "parent_directory_ref": ref("directory"),
            "contains_refs": ref_list(),
            "content_ref": ref("artifact"),
        },
        at_least_one("hashes", "name"),
        extensions=_FILE_EXTENSIONS,
    ),
    "ipv4-addr": sco(
        {"value"},
        {
            "value": _ipv4,
            "resolves_to_refs": ref_list("mac-addr"),
            "belongs_to_refs": ref_list("autonomous-system"),
        },
    ),
    "ipv6-addr": sco(
        {"value"},
        {
            "value": _ipv6,
            "resolves_to_refs": ref_list("mac-addr"),
            "belongs_to_refs": ref_list("autonomous-system"),
        },
    ),
    "mac-addr": sco({"value"}, {"value": _mac}),
    "mutex": sco({"name"}, {"name": nonempty_string}),
    "network-traffic": sco(
        {"protocols"},
        {
            "start": timestamp,
            "end": timestamp,
            "is_active": boolean,
            "src_ref": ref(*_ADDR),
            "dst_ref": ref(*_ADDR),
            "src_port": _PORT,
            "dst_port": _PORT,
            "protocols": string_list,
            "src_byte_count": _UINT,
            "dst_byte_count": _UINT,
            "src_packets": _UINT,
            "dst_packets": _UINT,
            "ipfix": dictionary,
            "src_payload_ref": ref("artifact"),
            "dst_payload_ref": ref("artifact"),
            "encapsulates_refs": ref_list("network-traffic"),
            "encapsulated_by_ref": ref("network-traffic"),
        },
        at_least_one("src_ref", "dst_ref"),
        not_both("is_active", "end"),
        extensions=_TRAFFIC_EXTENSIONS,
    ),
    "process": sco(
        set(),
        {
            "is_hidden": boolean,
            "pid": integer(),
            "created_time": timestamp,
            "cwd": string,
            "command_line": string,
            "environment_variables": dictionary,
            "opened_connection_refs": ref_list("network-traffic"),
            "creator_user_ref": ref("user-account"),
            "image_ref": ref("file"),
            "parent_ref": ref("process"),
            "child_refs": ref_list("process"),
        },
        extensions=_PROCESS_EXTENSIONS,
    ),
    "software": sco(
        {"name"},
        {
            "name": nonempty_string,
            "cpe": string,
            "swid": string,
            "languages": string_list,
            "vendor": string,
            "version": string,
        },
    ),
    "url": sco({"value"}, {"value": _url}),
    "user-account": sco(
        set(),
        {
            "user_id": string,
            "credential": string,
            "account_login": string,
            "account_type": OPEN_VOCAB,
            "display_name": string,
            "is_service_account": boolean,
            "is_privileged": boolean,
            "can_escalate_privs": boolean,
            "is_disabled": boolean,
            "account_created": timestamp,
            "account_expires": timestamp,
            "credential_last_changed": timestamp,
            "account_first_login": timestamp,
            "account_last_login": timestamp,
        },
        extensions=_USER_EXTENSIONS,
    ),
    "windows-registry-key": sco(
        set(),
        {
            "key": string,
            "values": list_of(
                fields({"name": string, "data": string, "data_type": _REGISTRY_TYPES})
            ),
            "modified_time": timestamp,
            "creator_user_ref": ref("user-account"),
            "number_of_subkeys": _UINT,
        },
    ),
    "x509-certificate": sco(
        set(),
        {
            "is_self_signed": boolean,
            "hashes": hashes,
            "version": string,
            "serial_number": string,
            "signature_algorithm": string,
            "issuer": string,
            "validity_not_before": timestamp,
            "validity_not_after": timestamp,
            "subject": string,
            "subject_public_key_algorithm": string,
            "subject_public_key_modulus": string,
            "subject_public_key_exponent": _UINT,
            "x509_v3_extensions": dictionary,
        },
    ),
}
