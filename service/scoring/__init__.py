"""The model at serving time: its file, the document it reads, scores, reasons, sites' models."""
