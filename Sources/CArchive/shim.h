#ifndef IRPO_CARCHIVE_SHIM_H
#define IRPO_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
