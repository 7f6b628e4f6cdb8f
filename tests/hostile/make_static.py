"""Regenerate the small static fixtures that need a real office suite (run by hand, not by the tests).

    /usr/bin/python3 tests/hostile/make_static.py     # the system Python, which has LibreOffice's `uno`

Writes static/legacy.xls, a real Excel 97-2003 file, by driving headless LibreOffice over UNO.

static/encrypted.xlsx is a real password-encrypted (ECMA-376 Agile) workbook, password "secret",
made from a three-question openpyxl workbook with msoffcrypto-tool in a throwaway venv
(LibreOffice 7.4 does not encrypt OOXML on export):

    python3 -m venv /tmp/v && /tmp/v/bin/pip install msoffcrypto-tool
    /tmp/v/bin/python -c "from msoffcrypto.format.ooxml import OOXMLFile; \
        OOXMLFile(open('plain.xlsx','rb')).encrypt('secret', open('encrypted.xlsx','wb'))"
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

HERE = Path(__file__).resolve().parent / "static"


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> None:
    profile = tempfile.mkdtemp()
    pipe = f"tf{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                               f"-env:UserInstallation=file://{profile}",
                               f"--accept=pipe,name={pipe};urp;"])
    try:
        ctx = None
        resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
        for _ in range(60):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
        sheet = doc.Sheets.getByIndex(0)
        rows = [("Question", "Answer", "Comment"), ("Do you encrypt data at rest?", "", ""),
                ("Do you enforce MFA for administrators?", "", "")]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.getCellByPosition(c, r).setString(value)
        HERE.mkdir(exist_ok=True)
        doc.storeToURL(uno.systemPathToFileUrl(str(HERE / "legacy.xls")), (prop("FilterName", "MS Excel 97"),))
        doc.close(True)
    finally:
        office.terminate()
        office.wait(30)


if __name__ == "__main__":
    main()
