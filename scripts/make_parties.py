"""Rebuild corpus/parties.json from ISO 3166-1 (the pycountry package), the demonyms of the countryinfo package
and corpus/parties-curated.json.

    python scripts/make_parties.py           # write corpus/parties.json
    python scripts/make_parties.py --check   # exit 1 if corpus/parties.json is not what this would write

The same pycountry and countryinfo versions and curated file give the same bytes. Both are needed here only
(the `test` extra pins them); the package reads the JSON this writes. The script stops with a message when the curated file
and ISO disagree: an unknown code, a name it drops that ISO no longer has, a member that is no party, one alias
on two parties, a Member State in no regional group.
"""

from __future__ import annotations

import argparse
import gettext
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "corpus" / "parties-curated.json"
OUTPUT = ROOT / "corpus" / "parties.json"
PYCOUNTRY = "26.2.16"  # the version the committed table is built from; keep in step with pyproject.toml
COUNTRYINFO = "1.0.1"  # likewise

sys.path.insert(0, str(ROOT))
from qa.parties.table import fold, parties_from_json

try:
    import pycountry
except ImportError:
    raise SystemExit(f"make_parties: needs pycountry: pip install pycountry=={PYCOUNTRY} (in the test extra).") from None


def demonyms(codes: Iterable[str]) -> dict[str, str]:
    """ISO alpha-3 code -> the English demonym of the country ("Palestinian"), from the data files that the
    countryinfo package ships (MIT; its code is not imported), for the parties' `codes`. A demonym two of them
    share ("Congolese", "Dominican") names neither."""
    spec = importlib.util.find_spec("countryinfo")
    folders = [Path(f) / "data" for f in (spec.submodule_search_locations or [])] if spec else []
    if not folders or not folders[0].is_dir():
        fail(f"needs countryinfo's data: pip install countryinfo=={COUNTRYINFO} (in the test extra).")
    if version("countryinfo") != COUNTRYINFO:
        fail(f"countryinfo {version('countryinfo')} is installed but the table is built from {COUNTRYINFO}: "
             f"pip install countryinfo=={COUNTRYINFO} (the test extra pins it), or raise COUNTRYINFO here and rebuild.")
    wanted = set(codes)
    found: dict[str, set[str]] = {}
    for path in sorted(folders[0].glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        code, demonym = (data.get("ISO") or {}).get("alpha3"), " ".join((data.get("demonym") or "").split())
        if code in wanted and demonym:
            found.setdefault(demonym, set()).add(code)
    return {next(iter(shared)): demonym for demonym, shared in found.items() if len(shared) == 1}


def fail(message: str) -> NoReturn:
    raise SystemExit(f"make_parties: {message}")


def unique(forms: Iterable[str], taken: set[str]) -> list[str]:
    """Forms in order, leaving out empty ones and any whose folded form is already in `taken` (which grows)."""
    out = []
    for form in forms:
        form = " ".join(form.split())
        if form[:4].lower() == "the ":  # ISO writes "the State of Palestine"; a name is matched without it
            form = form[4:]
        key = fold(form)
        if form and key not in taken:
            taken.add(key)
            out.append(form)
    return out


def state(code: str, curated: dict[str, Any], membership: str, kind: str, zh: Callable[[str], str],
          demonym: str) -> dict[str, Any]:
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        fail(f"{code} is not an ISO 3166-1 alpha-3 code in pycountry {PYCOUNTRY}; fix parties-curated.json.")
    iso_name = country.name
    iso_en = [iso_name, getattr(country, "common_name", ""), getattr(country, "official_name", "")]
    iso_zh = [zh(form) for form in iso_en if form and zh(form) != form]
    name = curated.get("name", iso_name)
    name_zh = curated.get("name_zh", zh(iso_name))
    if name_zh == iso_name:
        fail(f"{code}: iso-codes has no zh_CN name for {iso_name!r}; give name_zh in parties-curated.json.")
    dropped = curated.get("drop_aliases", [])
    for form in dropped:
        if form not in iso_zh and form not in iso_en:
            fail(f"{code}: drop_aliases names {form!r}, which ISO does not give; remove it from parties-curated.json.")
    taken = {fold(name), fold(name_zh)}
    aliases = unique([*curated.get("aliases", []), *(f for f in [*iso_en, *iso_zh] if f and f not in dropped)], taken)
    # the demonym is not a name (the Japanese report is not Japan speaking) but shows that a text is about the
    # country ("the Palestinian people"); a curated reason drops one that also means something else ("Indian")
    demonyms = [] if "drop_demonym" in curated else unique([demonym], set(taken))
    source = [
        f"name: {'curated UN short name (corpus/parties-curated.json)' if 'name' in curated else 'ISO 3166-1 name, as the UN writes it'}",
        f"name_zh: {'curated UN Chinese name' if 'name_zh' in curated else 'iso-codes zh_CN translation, as the UN writes it'}",
        f"iso3: ISO 3166-1 (pycountry {PYCOUNTRY})",
        f"status: {membership}",
        "aliases: curated, then ISO 3166-1 names and their zh_CN translations (pycountry)",
        f"demonyms: countryinfo {COUNTRYINFO}" if demonyms else
        f"demonyms: none ({curated.get('drop_demonym') or 'countryinfo has none of its own'})",
    ]
    if "why" in curated:
        source.append(f"why: {curated['why']}")
    return {"name": name, "name_zh": name_zh, "kind": kind, "iso3": code, "aliases": aliases, "demonyms": demonyms,
            "members": [], "as_of": "", "source": "; ".join(source)}


def build(curated: dict[str, Any]) -> dict[str, Any]:
    """The table as a JSON-ready dict; stops with a message on any inconsistency."""
    if version("pycountry") != PYCOUNTRY:
        fail(f"pycountry {version('pycountry')} is installed but the table is built from {PYCOUNTRY}: "
             f"pip install pycountry=={PYCOUNTRY} (the test extra pins it), or raise PYCOUNTRY here and rebuild.")
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"]).gettext
    members, observers = curated["member_states"], curated["observer_states"]
    if len(set(members["iso3"])) != 193:
        fail(f"member_states lists {len(set(members['iso3']))} codes; the UN has 193 Member States.")
    unknown = set(curated["states"]) - set(members["iso3"]) - set(observers["iso3"])
    if unknown:
        fail(f"states has entries for {sorted(unknown)}, which are neither Member nor observer States.")
    demonym = demonyms([*members["iso3"], *observers["iso3"]])
    parties = [state(code, curated["states"].get(code, {}), f"UN Member State ({members['source']})", "state", zh,
                     demonym.get(code, "")) for code in members["iso3"]]
    parties += [state(code, curated["states"].get(code, {}), f"UN observer State ({observers['source']})",
                      "observer", zh, demonym.get(code, "")) for code in observers["iso3"]]
    by_code = {p["iso3"]: p["name"] for p in parties}
    names = set(by_code.values()) | {g["name"] for g in curated["groups"]} | {b["name"] for b in curated["bodies"]}
    for group in curated["groups"]:
        member_names = [by_code.get(m, m) for m in group["members"]]
        strangers = [m for m in member_names if m not in names]
        if strangers:
            fail(f"group {group['name']!r} lists {strangers}, which are no parties.")
        if len(set(member_names)) != len(member_names):
            fail(f"group {group['name']!r} lists a member twice.")
        parties.append({"name": group["name"], "name_zh": group["name_zh"], "kind": "group", "iso3": "",
                        "aliases": unique(group["aliases"], {fold(group["name"]), fold(group["name_zh"])}),
                        "members": member_names, "as_of": group["as_of"],
                        "source": f"members: {group['source']} (as of {group['as_of']}); names and aliases: curated"})
    for body in curated["bodies"]:
        parties.append({"name": body["name"], "name_zh": body["name_zh"], "kind": "body", "iso3": "",
                        "aliases": unique(body["aliases"], {fold(body["name"]), fold(body["name_zh"])}),
                        "members": [], "as_of": "", "source": body["source"]})
    check_regional_groups(curated, by_code)
    check_names(parties, curated["not_names"]["phrases"])
    kinds = ["state", "observer", "group", "body"]
    parties.sort(key=lambda p: (kinds.index(p["kind"]), fold(p["name"])))
    abbreviations = {char: {"party": by_code[a["state"]], "not_preceded_by": a["not_preceded_by"],
                            "not_followed_by": a["not_followed_by"]}
                     for char, a in curated["zh_abbreviations"]["states"].items()}
    counts = {kind: sum(p["kind"] == kind for p in parties) for kind in kinds}
    counts["aliases"] = sum(len(p["aliases"]) for p in parties)
    counts["demonyms"] = sum(len(p.get("demonyms", ())) for p in parties)
    return {
        "about": "Parties of the UN disarmament field in English and Chinese. Generated by scripts/make_parties.py "
                 f"from pycountry {PYCOUNTRY} (ISO 3166-1), the demonyms of countryinfo {COUNTRYINFO} and "
                 "corpus/parties-curated.json: edit those, not this. "
                 "Sources and licences: corpus/PARTIES.md.",
        "licence": curated["licence"],
        "pycountry": PYCOUNTRY,
        "countryinfo": COUNTRYINFO,
        "counts": counts,
        "parties": parties,
        "not_names": curated["not_names"],
        "zh_side_forms": curated["zh_side_forms"],
        "zh_abbreviations": {"rule": curated["zh_abbreviations"]["rule"], "states": abbreviations},
    }


def check_regional_groups(curated: dict[str, Any], by_code: dict[str, str]) -> None:
    """The five regional groups hold every Member State, and only the declared ones twice."""
    seen: dict[str, int] = {}
    for group in curated["groups"]:
        if group.get("regional"):
            for code in group["members"]:
                seen[code] = seen.get(code, 0) + 1
    missing = set(curated["member_states"]["iso3"]) - set(seen)
    if missing:
        fail(f"Member States in no regional group: {sorted(by_code[c] for c in missing)}.")
    twice = sorted(code for code, count in seen.items() if count > 1)
    if twice != sorted(curated["regional_groups"]["in_two_groups"]):
        fail(f"States in two regional groups: {twice}; regional_groups.in_two_groups says "
             f"{curated['regional_groups']['in_two_groups']}.")


def check_names(parties: list[dict[str, Any]], not_names: list[str]) -> None:
    """One name, one party: the runtime table raises on a shared alias; a not-name must be no party's name."""
    table = parties_from_json({"parties": parties}, "the generated table")
    for phrase in not_names:
        party = table.resolve(phrase)
        if party is not None:
            fail(f"not_names lists {phrase!r}, which is a name of {party.name!r}.")


def render(table: dict[str, Any]) -> str:
    """JSON with one party per line: small, and a change to a party is a one-line diff."""
    head = {k: v for k, v in table.items() if k != "parties"}
    lines = [json.dumps(p, ensure_ascii=False) for p in table["parties"]]
    body = json.dumps(head, ensure_ascii=False, indent=1)
    return body[:-2] + ',\n "parties": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with corpus/parties.json instead of writing it")
    args = parser.parse_args(argv)
    text = render(build(json.loads(CURATED.read_text(encoding="utf-8"))))
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is not what scripts/make_parties.py writes: run it and commit the result.",
                  file=sys.stderr)
            return 1
        print(f"{OUTPUT}: up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    counts = json.loads(text)["counts"]
    print(f"{OUTPUT}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
