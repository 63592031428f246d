/* UUIDs for flow definitions through libuuid: random (v4) and name-based SHA-1 (v5). */
#include <uuid/uuid.h>

#include "mxlmedia.h"

void mxm_uuid4(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

int mxm_uuid5(char const* ns, char const* name, size_t name_len, char out[37])
{
    uuid_t nsu, u;
    if (!ns || uuid_parse(ns, nsu) != 0) return -1;
    uuid_generate_sha1(u, nsu, name, name_len);
    uuid_unparse_lower(u, out);
    return 0;
}
