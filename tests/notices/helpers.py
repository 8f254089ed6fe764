import io
import subprocess
import tempfile

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True,
                              text=True, check=True).stdout


def embedded_fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor and any(k in descriptor.get_object()
                                  for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(target.get("/BaseFont")))
    return names


def has_cjk_font(data: bytes) -> bool:
    return any("CJK" in n or "WenQuanYi" in n or "MicroHei" in n for n in embedded_fonts(data))
