#ifndef AAFD_CLIBXML2_SHIM_H
#define AAFD_CLIBXML2_SHIM_H
// libxml2 2.9.14 as Debian 12 ships it. ICU is switched off before the other
// headers: with it, a clean build of a module that also sees Foundation fails
// on "'UErrorCode' has different definitions" (aaf-format.md §11).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/HTMLparser.h>
#include <libxml/catalog.h>
#include <libxml/entities.h>
#include <libxml/xmlerror.h>
#endif
