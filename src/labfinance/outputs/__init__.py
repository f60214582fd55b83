"""The output layer: JSON, terminal text and the workbook, made from the analysis layer's
results, and the safe writing of files. Nothing here computes a number."""
