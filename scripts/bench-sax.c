/* The parse floor of aafd's design (scripts/bench.sh, issue 24): libxml2's SAX2 push parser over the files, in
 * 256 KiB chunks as the import feeds it, with callbacks that do nothing. xmllint --stream builds a node per element
 * and is about twice as slow; this is what libxml2 alone costs, below which no parser built on it can go.
 * Usage: bench-sax FILE...   Prints the number of elements and text bytes seen. */
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>
static long elements, bytes;
static void start(void *c, const xmlChar *l, const xmlChar *p, const xmlChar *u, int nn, const xmlChar **ns, int na, int nd, const xmlChar **a) { elements++; }
static void end(void *c, const xmlChar *l, const xmlChar *p, const xmlChar *u) {}
static void chars(void *c, const xmlChar *ch, int len) { bytes += len; }
int main(int argc, char **argv) {
  static char buf[256 * 1024];
  for (int i = 1; i < argc; i++) {
    xmlSAXHandler h; memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC; h.startElementNs = start; h.endElementNs = end; h.characters = chars;
    FILE *f = fopen(argv[i], "rb");
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&h, NULL, NULL, 0, argv[i]);
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) xmlParseChunk(ctxt, buf, (int)n, 0);
    xmlParseChunk(ctxt, buf, 0, 1);
    if (!ctxt->wellFormed) fprintf(stderr, "not well-formed: %s\n", argv[i]);
    xmlFreeParserCtxt(ctxt); fclose(f);
  }
  printf("%ld elements %ld text bytes\n", elements, bytes);
  return 0;
}
