"""The mail job as a typical Python peer writes it: the standard library's
`email` parser and `xml.etree`. For each mail: parse the MIME message, find
the InterNetX `<response>` document in a text part or an attachment, and
extract the job's ctid and status code. Prints the median microseconds per
mail as JSON (same corpus and rounds as `bench mail-job`)."""

import email
import email.policy
import json
import pathlib
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET

DOCUMENT = re.compile(r"<response>.*?</response>", re.S)


def job(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            content = part.get_content()
        except Exception:
            continue
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if not isinstance(content, str):
            continue
        for document in DOCUMENT.findall(content):
            try:
                root = ET.fromstring(document)
            except ET.ParseError:
                continue
            found = root.find(".//job")
            if found is not None:
                return found.findtext("ctid"), found.findtext("status/code")
    return None


def main():
    corpus = pathlib.Path(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    manifest = json.loads((corpus / "manifest.json").read_text())
    mails = [(corpus / e["file"]).read_bytes() for e in manifest]
    samples = []
    for _ in range(rounds):
        for raw in mails:
            start = time.perf_counter()
            job(raw)
            samples.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({
        "implementation": f"python {sys.version.split()[0]} (email + xml.etree)",
        "median_us_per_mail": statistics.median(samples),
        "mails": len(mails),
    }))


if __name__ == "__main__":
    main()
