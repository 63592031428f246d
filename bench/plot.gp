# bench/plot.gp - wake-latency distributions (CDFs) from `bench/run --samples DIR`:
#   gnuplot -e "dir='DIR'; out='docs/wake-latency.png'" bench/plot.gp
# Each DIR/<case>.cdf holds "latency_us fraction" rows (written by the bench programs). Missing cases are skipped.
# Dashed lines are the raw-futex limits (bench_baseline), solid lines MXL reads.
if (!exists("dir")) dir = "bench-samples"
if (!exists("out")) out = "wake-latency.png"
set terminal pngcairo size 1500,760 enhanced font "DejaVu Sans,11"
set output out
set title "Wake latency: from just before the writer's commit to the return of the reader's blocking get (only reads that had to wait)"
set xlabel "latency (µs, log scale)"
set ylabel "fraction of blocked reads with latency ≤ x"
set logscale x
set xrange [0.5:30000]
set yrange [0:1]
set ytics 0.1
set grid xtics mxtics ytics
set key outside right top box
cases = "futex_paced futex_paced_r16 futex_pingpong signal_paced_r1 signal_paced_r4 signal_paced_r16 signal_tiny video_1080p video_2160p audio_paced_2ch_h48 audio_paced_2ch_c48s480_r480 audio_paced_2ch_default_r480 audio_paced_2ch_default"
titles = '"raw futex, paced 1 ms" "raw futex, 16 waiters" "raw futex, ping-pong" "tiny grains, 1 reader, 1 kHz" "tiny grains, 4 readers" "tiny grains, 16 readers" "tiny grains, unthrottled" "1080p v210, unthrottled" "2160p v210, unthrottled" "audio 48, hints 48" "audio 480-reads, hints 48/480" "audio 480-reads, default hints" "audio 48-reads, default hints"'
colors = "#000000 #7f7f7f #b0b0b0 #1f77b4 #17becf #9467bd #8c564b #d62728 #ff7f0e #2ca02c #bcbd22 #e377c2 #7b3f00"
exists_file(f) = system("test -s '".f."' && echo 1 || echo 0") + 0
present = ""
ptitles = ""
pcolors = ""
do for [i=1:words(cases)] {
    f = dir."/".word(cases, i).".cdf"
    if (exists_file(f)) {
        present = present." ".word(cases, i)
        ptitles = ptitles.' "'.word(titles, i).'"'
        pcolors = pcolors." ".word(colors, i)
    }
}
dash(i) = (word(present, i)[1:5] eq "futex") ? 2 : 1
plot for [i=1:words(present)] dir."/".word(present, i).".cdf" using 1:2 with lines lw 2 dashtype dash(i) \
     linecolor rgb word(pcolors, i) title word(ptitles, i)
