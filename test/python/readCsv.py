"""Reads CSV files two ways, for the CSV tokenizing parity test (dataParity.test.ts).

Usage: python3 readCsv.py MODEL.py JOBS.json OUT.json

JOBS.json: [{"name", "path"}]. For each file, writes to OUT.json under its name:
- "export": what the exported model.py's read_table() makes of it (header, rows, the lines of the
  rows, the lines of the rows it skipped), or "error" with the message it stops with;
- "csv": Python's csv module on its own, with its default dialect (quotechar '"', doubled quotes,
  no skipinitialspace) and strict=True, and the reading rules the docs state: the delimiter (, ;
  or tab) the first line holds most of, blank lines dropped, the first row the header, cells
  trimmed, rows with another number of fields than the header skipped, and in a ;-separated file
  a column of decimal commas read as numbers (model.py's is_decimal_comma_column, the one rule
  after tokenizing this applies); or "error".
"""
import csv
import importlib.util
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# JavaScript's String.prototype.trim() whitespace.
JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def plain_csv(path, is_decimal_comma_column):
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    first_line = text.replace("\r", "\n").split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header, rows, lines, skipped = None, [], [], []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if len(record) <= 1 and "".join(record).strip(JS_WHITESPACE) == "":
                continue
            record = [v.strip(JS_WHITESPACE) for v in record]
            if header is None:
                header = record
            elif len(record) != len(header):
                skipped.append(line)
            else:
                rows.append(record)
                lines.append(line)
    except csv.Error as e:
        return {"error": f"line {start}: {e}"}
    if delimiter == ";":
        for c in range(len(header)):
            if is_decimal_comma_column([r[c] for r in rows]):
                for r in rows:
                    r[c] = r[c].replace(",", ".", 1)
    return {"header": header, "rows": rows, "lines": lines, "skipped": skipped, "delimiter": delimiter}


def exported(m, path):
    try:
        table = m.read_table(path)
    except SystemExit as e:
        return {"error": str(e)}
    header, cells = table["header"], table["cells"]
    rows = [[cells[c][r] for c in range(len(header))] for r in range(len(table["lines"]))]
    return {"header": header, "rows": rows, "lines": table["lines"], "skipped": [line for line, _ in table["skipped"]]}


def main():
    spec = importlib.util.spec_from_file_location("model_csv", sys.argv[1])
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    with open(sys.argv[2], encoding="utf-8") as f:
        jobs = json.load(f)
    out = {job["name"]: {"export": exported(m, job["path"]), "csv": plain_csv(job["path"], m.is_decimal_comma_column)} for job in jobs}
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(json.dumps({"ok": len(out)}))


if __name__ == "__main__":
    main()
