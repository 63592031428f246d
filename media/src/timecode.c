/* Index/time conversions and time-of-day timecode (SMPTE ST 12 counting, drop-frame for 30000/1001 and
 * 60000/1001). The time of day is the TAI timestamp minus MXM_TAI_UTC_OFFSET_S, modulo 86400 s. */
#include <stdio.h>

#include "mxlmedia.h"

typedef __int128 i128;

#define NS 1000000000LL
#define DAY_NS (86400LL * NS)

uint64_t mxm_index_to_ns(uint64_t index, int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0) return index == 0 ? 0 : UINT64_MAX;
    return (uint64_t)(((i128)index * den * NS + num / 2) / num);
}

uint64_t mxm_ns_to_index(uint64_t ns, int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0) return UINT64_MAX;
    return (uint64_t)(((i128)ns * num + (i128)500000000 * den) / ((i128)NS * den));
}

int mxm_rate_is_drop(int64_t num, int64_t den)
{
    return den == 1001 && (num == 30000 || num == 60000);
}

uint32_t mxm_rate_whole(int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0) return 0;
    return (uint32_t)((num + den - 1) / den);
}

/* Frames dropped per minute for a drop-frame rate: 2 at 30, 4 at 60. */
static uint64_t drop_per_minute(uint32_t fps)
{
    return fps / 15u;
}

void mxm_timecode_from_count(uint64_t count, uint32_t fps, int drop, mxm_timecode* tc)
{
    if (fps == 0) fps = 1;
    if (drop && fps != 30 && fps != 60) drop = 0;
    uint64_t label = count;
    if (drop) {
        uint64_t d = drop_per_minute(fps);
        uint64_t per_min = (uint64_t)fps * 60u - d;        /* labels used by a dropping minute */
        uint64_t per_10min = (uint64_t)fps * 600u - 9u * d; /* the first minute of ten keeps all labels */
        label %= per_10min * 144u;
        uint64_t tens = label / per_10min, rem = label % per_10min;
        uint64_t skipped = 9u * d * tens;
        if (rem >= d) skipped += d * ((rem - d) / per_min);
        label += skipped;
    } else {
        label %= (uint64_t)fps * 86400u;
    }
    tc->frames = (int)(label % fps);
    tc->seconds = (int)(label / fps % 60u);
    tc->minutes = (int)(label / ((uint64_t)fps * 60u) % 60u);
    tc->hours = (int)(label / ((uint64_t)fps * 3600u) % 24u);
    tc->drop = drop;
    tc->fps = (int)fps;
    tc->frame_of_day = count;
}

uint64_t mxm_timecode_to_count(mxm_timecode const* tc)
{
    uint64_t fps = tc->fps > 0 ? (uint64_t)tc->fps : 1u;
    uint64_t minutes = (uint64_t)tc->hours * 60u + (uint64_t)tc->minutes;
    uint64_t label = (minutes * 60u + (uint64_t)tc->seconds) * fps + (uint64_t)tc->frames;
    if (tc->drop && (fps == 30 || fps == 60)) label -= drop_per_minute((uint32_t)fps) * (minutes - minutes / 10u);
    return label;
}

/* floor(a / b) for b > 0 */
static i128 floordiv(i128 a, i128 b)
{
    i128 q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

uint64_t mxm_frame_of_day(uint64_t frame, int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0) return 0;
    i128 t = (i128)mxm_index_to_ns(frame, num, den);
    i128 off = (i128)MXM_TAI_UTC_OFFSET_S * NS;
    i128 midnight = floordiv(t - off, DAY_NS) * DAY_NS + off; /* TAI ns of this UTC day's midnight */
    /* First frame whose timestamp is at or after midnight. */
    i128 j0 = floordiv(midnight * num + (i128)500000000 * den, (i128)NS * den);
    i128 tj = j0 >= 0 ? (i128)mxm_index_to_ns((uint64_t)j0, num, den) : floordiv(j0 * den * NS + num / 2, num);
    if (tj < midnight) j0++;
    i128 count = (i128)frame - j0;
    return count > 0 ? (uint64_t)count : 0u;
}

void mxm_timecode_of_frame(uint64_t frame, int64_t num, int64_t den, mxm_timecode* tc)
{
    mxm_timecode_from_count(mxm_frame_of_day(frame, num, den), mxm_rate_whole(num, den), mxm_rate_is_drop(num, den),
                            tc);
}

void mxm_timecode_format(mxm_timecode const* tc, char* buf, size_t len)
{
    snprintf(buf, len, "%02d:%02d:%02d%c%02d", tc->hours, tc->minutes, tc->seconds, tc->drop ? ';' : ':',
             tc->frames);
}

void mxm_atc_label(mxm_timecode const* video_tc, mxm_timecode* atc_tc, int* field_mark)
{
    *atc_tc = *video_tc;
    *field_mark = 0;
    if (video_tc->fps > 30) {
        atc_tc->frames = video_tc->frames / 2;
        atc_tc->fps = video_tc->fps / 2;
        *field_mark = video_tc->frames & 1;
    }
}
