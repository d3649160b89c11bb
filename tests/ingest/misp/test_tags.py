"""TLP and RSIT tags of MISP events, both ways."""

import pytest
from pymisp import MISPTag

from ingest.misp import category_of_tags, rsit_tag, tlp_of_tags, tlp_tag
from ncert.records import Category
from ncert.taxonomy import RSIT, TLP


@pytest.mark.parametrize(("tag", "tlp"), [
    ("tlp:clear", TLP.CLEAR),
    ("tlp:white", TLP.CLEAR),
    ("tlp:green", TLP.GREEN),
    ("tlp:amber", TLP.AMBER),
    ("TLP:AMBER+STRICT", TLP.AMBER_STRICT),
    ("tlp:red", TLP.RED),
    ("tlp:ex:chr", TLP.RED),
])
def test_each_tlp_tag(tag, tlp):
    assert tlp_of_tags([tag]) is tlp


def test_most_restrictive_tlp_wins_and_misp_tags_are_read():
    assert tlp_of_tags([MISPTag(name="tlp:green"), MISPTag(name="tlp:amber+strict"), "tlp:amber"]) is TLP.AMBER_STRICT
    assert tlp_of_tags(["tlp:green", "tlp:ex:chr"]) is TLP.RED


def test_no_tlp_from_unrelated_or_unclear_tags():
    assert tlp_of_tags(["tlp:unclear", "misp-galaxy:ransomware=\"LockBit\"", "tlp", ""]) is None


def test_rsit_tag_gives_category():
    category = category_of_tags(['type:OSINT', 'rsit:malicious-code="infected-system"'])
    assert category == Category.model_validate({"class": "malicious-code", "type": "infected-system"})


def test_invalid_rsit_pairs_are_ignored():
    assert category_of_tags(['rsit:malicious-code="ransomware"', 'rsit:nonsense="x"']) is None


def test_rsit_wins_over_legacy_ecsirt():
    tags = ['ecsirt:malicious-code="ransomware"', 'rsit:availability="ddos"']
    assert category_of_tags(tags) == Category.model_validate("availability/ddos")


@pytest.mark.parametrize(("tag", "category"), [
    ('ecsirt:malicious-code="ransomware"', "malicious-code/infected-system"),
    ('ecsirt:malicious-code="c&c"', "malicious-code/c2-server"),
    ('ecsirt:intrusions="defacement"', "intrusions/application-compromise"),
    ('ecsirt:fraud="unauthorized-use-of-resources"', "fraud/unauthorised-use-of-resources"),
    ('ecsirt:information-content-security="Unauthorised-information-access"',
     "information-content-security/unauthorised-information-access"),
    ('ecsirt:other="unknown"', "other/undetermined"),
])
def test_legacy_ecsirt_tags_map_to_rsit(tag, category):
    assert category_of_tags([tag]) == Category.model_validate(category)


def test_export_tags_read_back():
    for tlp in TLP:
        assert tlp_of_tags([tlp_tag(tlp)]) is tlp
    for rsit_class, types in RSIT.items():
        for rsit_type in types:
            category = Category.model_validate({"class": rsit_class, "type": rsit_type})
            assert category_of_tags([rsit_tag(category)]) == category
    infected = Category.model_validate("malicious-code/infected-system")
    assert rsit_tag(infected) == 'rsit:malicious-code="infected-system"'
