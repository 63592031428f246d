/* Audio test signals: a sine whose phase is an exact integer function of the absolute sample index, and a beep
 * that replaces the tone for one video grain on every flash grain. */
#include <math.h>
#include <string.h>

#include "mxlmedia.h"

typedef unsigned __int128 u128;

double mxm_db_to_amplitude(double db)
{
    return pow(10.0, db / 20.0);
}

/* amplitude * sin(2 pi ((s * p) mod (R q)) / (R q)) for f = p / q */
static double sine_at(uint32_t rate, uint64_t p, uint64_t q, double amplitude, uint64_t s)
{
    if (amplitude == 0.0 || rate == 0) return 0.0;
    if (q == 0) q = 1;
    u128 m = (u128)rate * q;
    u128 ph = ((u128)s % m) * ((u128)p % m) % m;
    return amplitude * sin(2.0 * M_PI * (double)ph / (double)m);
}

double mxm_tone_sample(mxm_tone const* tone, uint64_t s)
{
    return sine_at(tone->rate, tone->freq_num, tone->freq_den, tone->amplitude, s);
}

uint64_t mxm_beep_start(mxm_beep const* beep, uint32_t audio_rate, uint64_t grain)
{
    return mxm_ns_to_index(mxm_index_to_ns(grain, beep->video_num, beep->video_den), audio_rate, 1);
}

int mxm_beep_at(mxm_beep const* beep, uint32_t audio_rate, uint64_t s, uint64_t* end)
{
    if (!beep || beep->period_grains == 0 || beep->video_num <= 0 || beep->video_den <= 0 || audio_rate == 0) {
        *end = UINT64_MAX;
        return 0;
    }
    uint64_t p = beep->period_grains;
    /* Video grain whose start is at or before sample s (approximately: rounding is settled below). */
    uint64_t g0 = (uint64_t)((u128)s * (u128)beep->video_num / ((u128)audio_rate * (u128)beep->video_den));
    uint64_t gf = g0 - g0 % p;
    uint64_t next = UINT64_MAX;
    for (int k = -1; k <= 2; k++) {
        if (k < 0 && gf < p) continue;
        uint64_t g = k < 0 ? gf - p : gf + (uint64_t)k * p;
        uint64_t b0 = mxm_beep_start(beep, audio_rate, g), b1 = mxm_beep_start(beep, audio_rate, g + 1u);
        if (b0 <= s && s < b1) {
            *end = b1;
            return 1;
        }
        if (b0 > s && b0 < next) next = b0;
    }
    *end = next;
    return 0;
}

static void store(uint8_t* p, uint32_t word, double v)
{
    if (word == 4) {
        float f = (float)v;
        memcpy(p, &f, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

int mxm_audio_fill(mxm_audio_dst const* dst, uint64_t first, size_t count, mxm_tone const* tones, size_t ntones,
                   mxm_beep const* beep)
{
    if (dst->word != 4 && dst->word != 8) return -1;
    size_t n0 = dst->frag_bytes[0] / dst->word, n1 = dst->frag[1] ? dst->frag_bytes[1] / dst->word : 0;
    if (n0 + n1 < count || (n0 > 0 && !dst->frag[0]) || ntones == 0 || !tones) return -1;
    size_t i = 0;
    while (i < count) {
        uint64_t s = first + i, end;
        int in_beep = mxm_beep_at(beep, tones[0].rate, s, &end);
        size_t seg = end - s < (uint64_t)(count - i) ? (size_t)(end - s) : count - i;
        if (seg == 0) seg = 1;
        for (uint32_t c = 0; c < dst->channels; c++) {
            mxm_tone const* t = &tones[c < ntones ? c : ntones - 1u];
            for (size_t k = i; k < i + seg; k++) {
                uint64_t sk = first + k;
                double v = in_beep ? sine_at(t->rate, beep->freq_num, beep->freq_den, beep->amplitude, sk)
                                   : sine_at(t->rate, t->freq_num, t->freq_den, t->amplitude, sk);
                uint8_t* p = k < n0 ? dst->frag[0] + c * dst->stride + k * dst->word
                                    : dst->frag[1] + c * dst->stride + (k - n0) * dst->word;
                store(p, dst->word, v);
            }
        }
        i += seg;
    }
    return 0;
}
