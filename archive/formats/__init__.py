"""File formats beyond PDFs and images: native emails (`emails`) and litigation load files
(`loadfiles` parses them, `bundles` turns the documents they define into bound PDFs).
"""
