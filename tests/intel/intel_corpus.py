"""Valid STIX 2.1 objects of every type the validator covers, built fresh for each test.

One example per SDO, SRO and SCO (and acuerdo's observables), each with its optional
properties filled in as the specification allows, so that breaking any one property is a test.
"""

from __future__ import annotations

import uuid
from typing import Any

from acuerdo.ledger.types import BY_NAME, EVALUATION_EXTENSION_ID
from acuerdo.markings import TLP, TLP2_MARKING_IDS

STAMP = "2026-03-12T10:00:00.000Z"
LATER = "2026-03-13T10:00:00.000Z"
GREEN = TLP2_MARKING_IDS[TLP.GREEN]
SHA256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def new_id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def sdo(otype: str, **props: Any) -> dict[str, Any]:
    return {
        "type": otype,
        "spec_version": "2.1",
        "id": new_id(otype),
        "created": STAMP,
        "modified": STAMP,
        "object_marking_refs": [GREEN],
        **props,
    }


def sco(otype: str, **props: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": otype, "spec_version": "2.1", "id": new_id(otype), **props}
    if otype in BY_NAME:
        obj["extensions"] = {BY_NAME[otype].extension_id: {"extension_type": "new-sco"}}
    return obj


KILL_CHAIN = [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]
EVALUATION = {
    EVALUATION_EXTENSION_ID: {
        "extension_type": "property-extension",
        "source_reliability": "B",
        "information_credibility": "2",
    }
}


def sdos() -> list[dict[str, Any]]:
    """One of each domain and relationship object."""
    ta, ident, loc = new_id("threat-actor"), new_id("identity"), new_id("location")
    return [
        sdo("attack-pattern", name="Cocaine concealed in soy shipments", aliases=["soja"],
            kill_chain_phases=KILL_CHAIN),
        sdo("campaign", name="Operación Chaco", first_seen=STAMP, last_seen=LATER,
            objective="move cocaine by light aircraft"),
        sdo("course-of-action", name="Interdict the airstrip", description="Block the strip"),
        sdo("grouping", name="Chaco airstrips", context="suspicious-activity",
            object_refs=[loc]),
        sdo("identity", name="Secretaría Nacional Antidrogas", identity_class="organization",
            sectors=["government-national"], contact_information="senad@example.org"),
        sdo("incident", name="Aircraft seized at Pozo Hondo", kill_chain_phases=KILL_CHAIN),
        sdo("indicator", name="Known airstrip IP", indicator_types=["malicious-activity"],
            pattern="[ipv4-addr:value = '198.51.100.7'] AND "
                    "[acuerdo-aircraft:registration = 'ZP-BAB']",
            pattern_type="stix", pattern_version="2.1", valid_from=STAMP, valid_until=LATER,
            kill_chain_phases=KILL_CHAIN, extensions=EVALUATION, confidence=85),
        sdo("infrastructure", name="Clandestine airstrip 14", infrastructure_types=["staging"],
            first_seen=STAMP, last_seen=LATER),
        sdo("intrusion-set", name="Clan Rotela", aliases=["Rotela"], goals=["smuggle"],
            resource_level="organization", primary_motivation="personal-gain"),
        sdo("location", name="Pozo Hondo", latitude=-22.3, longitude=-62.6, precision=500.0,
            region="south-america", country="PY"),
        sdo("malware", name="Stealer", is_family=True, malware_types=["spyware"],
            first_seen=STAMP, last_seen=LATER, capabilities=["steals-authentication-credentials"]),
        sdo("malware-analysis", product="sandbox", result="malicious",
            analysis_started=STAMP, analysis_ended=LATER),
        sdo("note", content="Seen twice this month", authors=["analyst"], object_refs=[ta]),
        sdo("observed-data", first_observed=STAMP, last_observed=LATER, number_observed=3,
            object_refs=[new_id("ipv4-addr")]),
        sdo("opinion", opinion="agree", explanation="Matches our data", object_refs=[ta]),
        sdo("report", name="Chaco report", report_types=["threat-actor"], published=STAMP,
            object_refs=[ta, ident]),
        sdo("threat-actor", name="Clan Rotela", threat_actor_types=["crime-syndicate"],
            roles=["director"], sophistication="expert", first_seen=STAMP),
        sdo("tool", name="Satellite phone", tool_types=["remote-access"], tool_version="2"),
        sdo("vulnerability", name="CVE-2026-0001",
            external_references=[{"source_name": "cve", "external_id": "CVE-2026-0001"}]),
        sdo("relationship", relationship_type="attributed-to", source_ref=new_id("campaign"),
            target_ref=ta, start_time=STAMP, stop_time=LATER),
        sdo("sighting", sighting_of_ref=new_id("indicator"), count=2, first_seen=STAMP,
            last_seen=LATER, observed_data_refs=[new_id("observed-data")],
            where_sighted_refs=[ident, loc], summary=False),
    ]  # fmt: skip


def scos() -> list[dict[str, Any]]:
    """One of each cyber observable, STIX's and acuerdo's."""
    return [
        sco("artifact", mime_type="application/zip", payload_bin="UEsDBA==",
            hashes={"SHA-256": SHA256}),
        sco("autonomous-system", number=15169, name="Example", rir="LACNIC"),
        sco("directory", path="C:\\Windows", ctime=STAMP),
        sco("domain-name", value="example.com.py"),
        sco("email-addr", value="jose@example.com", display_name="José"),
        sco("email-message", is_multipart=False, subject="Envío", body="mañana",
            from_ref=new_id("email-addr"), to_refs=[new_id("email-addr")], date=STAMP),
        sco("file", name="manifest.pdf", size=1024, hashes={"MD5": MD5, "SHA-256": SHA256},
            extensions={"pdf-ext": {"version": "1.7", "is_optimized": False}}),
        sco("ipv4-addr", value="198.51.100.7"),
        sco("ipv6-addr", value="2001:db8::1"),
        sco("mac-addr", value="00:1a:2b:3c:4d:5e"),
        sco("mutex", name="__lock__"),
        sco("network-traffic", src_ref=new_id("ipv4-addr"), dst_port=443,
            protocols=["ipv4", "tcp"], start=STAMP,
            extensions={"tcp-ext": {"src_flags_hex": "02"}}),
        sco("process", pid=4242, command_line="run.exe", created_time=STAMP),
        sco("software", name="Word", vendor="Microsoft", version="2016", languages=["es"]),
        sco("url", value="https://example.com/a?b=c"),
        sco("user-account", user_id="1001", account_login="jose", is_privileged=False,
            extensions={"unix-account-ext": {"gid": 1001, "shell": "/bin/sh"}}),
        sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\Software",
            values=[{"name": "x", "data": "1", "data_type": "REG_SZ"}]),
        sco("x509-certificate", serial_number="01", subject="CN=example", is_self_signed=True),
        sco("acuerdo-aircraft", registration="ZP-BAB", icao24="e8c001", country="PY"),
        sco("acuerdo-vessel", imo="IMO9074729", mmsi="755123456", name="Doña Rosa", flag="PY"),
        sco("acuerdo-vehicle", plate="ABCD123", country="PY", make="Toyota"),
        sco("acuerdo-phone-number", value="+595981123456"),
    ]  # fmt: skip


def everything() -> list[dict[str, Any]]:
    return sdos() + scos()
