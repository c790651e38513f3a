// The mail job as a typical Node peer writes it: `mailparser`'s
// simpleParser and `fast-xml-parser`. For each mail: parse the MIME
// message, find the InterNetX <response> document in the text or an
// attachment, extract the job's ctid and status code. Prints the median
// microseconds per mail as JSON (same corpus as `bench mail-job`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { XMLParser } from "fast-xml-parser";

const DOCUMENT = /<response>[\s\S]*?<\/response>/g;
const xml = new XMLParser();

async function job(raw) {
  const mail = await simpleParser(raw);
  const texts = [mail.text || ""];
  for (const a of mail.attachments || []) texts.push(a.content.toString("utf8"));
  for (const text of texts) {
    for (const doc of text.match(DOCUMENT) || []) {
      try {
        const parsed = xml.parse(doc);
        const message = parsed?.response?.result?.data?.message;
        const found = Array.isArray(message) ? message[0]?.job : message?.job;
        if (found) return [found.ctid, found.status?.code];
      } catch {
        // not XML: keep looking
      }
    }
  }
  return null;
}

const corpus = process.argv[2];
const rounds = Number(process.argv[3] || 50);
const manifest = JSON.parse(readFileSync(join(corpus, "manifest.json"), "utf8"));
const mails = manifest.map((e) => readFileSync(join(corpus, e.file)));
const samples = [];
for (let r = 0; r < rounds; r++) {
  for (const raw of mails) {
    const start = process.hrtime.bigint();
    await job(raw);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({
  implementation: `node ${process.version} (mailparser + fast-xml-parser)`,
  median_us_per_mail: samples[Math.floor(samples.length / 2)],
  mails: mails.length,
}));
