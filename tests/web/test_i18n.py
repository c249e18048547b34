#!/usr/bin/env python3
"""test_i18n - the dashboard's five languages stay complete.

Every page text and rule explanation is a key in web/i18n/<lang>.json
("ui" and "messages"). A key missing in one language would show the raw
key to that language's users, a placeholder missing in a translation
would drop a value from the sentence. This checks, with no browser:
  - the languages session.js offers are exactly the files that exist;
  - every language has the same ui and messages keys as English, none
    empty, each with the same {placeholders};
  - every key a page names literally (data-i18n* attributes in web/*.html,
    PS.t("...") and dataset.i18n = "..." in web/*.js, the nav keys of
    PS.PAGES) exists.
Keys built at run time (PS.t(`source.${s}`)) are covered by the browser
tests, which fail on any raw key visible on a page.
"""
import json
import os
import re
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(ROOT, "web")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def load(lang):
    with open(os.path.join(WEB, "i18n", f"{lang}.json"), encoding="utf-8") as f:
        return json.load(f)


def offered_languages():
    with open(os.path.join(WEB, "session.js"), encoding="utf-8") as f:
        text = f.read()
    block = text.split("LANGUAGES: [", 1)[1].split("],\n  PAGES", 1)[0]
    return re.findall(r'\["([a-z]{2})",', block)


def keys_used_by_pages():
    used = {}
    for name in sorted(os.listdir(WEB)):
        path = os.path.join(WEB, name)
        if not os.path.isfile(path) or not name.endswith((".html", ".js")):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Comments describe the mechanism ("data-i18n=\"key\""): skip them.
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
        text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
        patterns = [r'data-i18n(?:-[a-z-]+)?="([^"]+)"',
                    r'\bPS\.t\("([^"]+)"',
                    r'dataset\.i18n\s*=\s*"([^"]+)"',
                    r'\["[a-z]+", "/[a-z.]*", "([a-z_.]+)"\]']
        for pattern in patterns:
            for key in re.findall(pattern, text):
                used.setdefault(key, name)
    return used


class I18nTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.languages = offered_languages()
        cls.files = {lang: load(lang) for lang in cls.languages}

    def test_offered_languages_are_the_files(self):
        self.assertEqual(sorted(self.languages),
                         ["de", "en", "es", "fr", "it"])
        on_disk = sorted(n[:-5] for n in os.listdir(os.path.join(WEB, "i18n"))
                         if n.endswith(".json"))
        self.assertEqual(sorted(self.languages), on_disk)
        for lang, doc in self.files.items():
            self.assertEqual(doc.get("language"), lang, f"{lang}.json")

    def test_every_key_in_every_language_with_its_placeholders(self):
        english = self.files["en"]
        for section in ("ui", "messages"):
            reference = english[section]
            for lang, doc in self.files.items():
                table = doc.get(section, {})
                missing = sorted(set(reference) - set(table))
                extra = sorted(set(table) - set(reference))
                self.assertEqual(missing, [],
                                 f"{lang}.json {section}: missing {missing}")
                self.assertEqual(extra, [],
                                 f"{lang}.json {section}: not in en.json {extra}")
                for key, text in table.items():
                    self.assertTrue(isinstance(text, str) and text.strip(),
                                    f"{lang}.json {section}.{key} is empty")
                    self.assertEqual(
                        sorted(set(PLACEHOLDER.findall(text))),
                        sorted(set(PLACEHOLDER.findall(reference[key]))),
                        f"{lang}.json {section}.{key}: placeholders differ "
                        f"from en.json")

    def test_every_key_a_page_names_exists(self):
        ui = self.files["en"]["ui"]
        used = keys_used_by_pages()
        self.assertGreater(len(used), 50, "the key scan found almost nothing")
        unknown = sorted(f"{key} ({page})" for key, page in used.items()
                         if key not in ui)
        self.assertEqual(unknown, [], "keys used by pages but not translated")


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result
             .wasSuccessful() else 1)
