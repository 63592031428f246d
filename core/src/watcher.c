/* Read-activity watcher (MXL-FORMAT.md §9): one thread per instance, started with its first writer, that turns
 * atime changes of `access` (discrete, touched by every reader, ours or upstream's) and of `channels` (continuous,
 * touched by our readers) into `lastReadTime` of the writer's flow. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "objects.h"

/* The watcher reads writers under the instance lock; add/remove run with the lock already held. */
static void* watcher_main(void* arg)
{
    mxlInstance inst = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct pollfd pfd[2] = {{inst->inotify_fd, POLLIN, 0}, {inst->stop_fd, POLLIN, 0}};
    for (;;) {
        int r = poll(pfd, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (pfd[1].revents & POLLIN))
            break;
        ssize_t n = read(inst->inotify_fd, buf, sizeof buf);
        if (n <= 0)
            continue;
        uint64_t now = mxl_now_tai();
        pthread_mutex_lock(&inst->lock);
        /* Walk events by their real length (name fields make them variable-sized). */
        for (char* p = buf; p < buf + n;) {
            struct inotify_event const* ev = (struct inotify_event const*)p;
            if (ev->mask & (IN_ACCESS | IN_MODIFY | IN_ATTRIB)) {
                for (mxlFlowWriter w = inst->writers; w != NULL; w = w->next)
                    if (w->watch_wd == ev->wd)
                        __atomic_store_n(&w->flow.info->runtime.lastReadTime, now, __ATOMIC_RELEASE);
            }
            p += sizeof *ev + ev->len;
        }
        pthread_mutex_unlock(&inst->lock);
    }
    return NULL;
}

/* Called with inst->lock held. Failures only cost the lastReadTime feature, never the writer. */
void mxl_watcher_add(mxlInstance inst, mxlFlowWriter w)
{
    if (inst->inotify_fd < 0) {
        inst->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        inst->stop_fd = eventfd(0, EFD_CLOEXEC);
        if (inst->inotify_fd < 0 || inst->stop_fd < 0)
            return;
    }
    if (!inst->watcher_running) {
        if (pthread_create(&inst->watcher, NULL, watcher_main, inst) != 0)
            return;
        inst->watcher_running = true;
    }
    /* inotify has no *at variant: name the file through the flow directory fd in /proc, which cannot be
     * redirected by a symlink planted in the domain. */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", w->flow.flowfd, mxl_is_discrete(&w->flow) ? "access" : "channels");
    w->watch_wd = inotify_add_watch(inst->inotify_fd, path, IN_ACCESS | IN_ATTRIB | IN_DONT_FOLLOW);
}

/* Called with inst->lock held. The watch descriptor is shared by every writer of the same file in this
 * instance (one per flow), so it is removed with the writer. */
void mxl_watcher_remove(mxlInstance inst, mxlFlowWriter w)
{
    if (w->watch_wd >= 0 && inst->inotify_fd >= 0)
        inotify_rm_watch(inst->inotify_fd, w->watch_wd);
    w->watch_wd = -1;
}

void mxl_watcher_stop(mxlInstance inst)
{
    if (inst->watcher_running) {
        uint64_t one = 1;
        if (write(inst->stop_fd, &one, sizeof one) < 0) {
            /* the thread also exits when the fds close below */
        }
        pthread_join(inst->watcher, NULL);
        inst->watcher_running = false;
    }
    if (inst->inotify_fd >= 0)
        close(inst->inotify_fd);
    if (inst->stop_fd >= 0)
        close(inst->stop_fd);
    inst->inotify_fd = inst->stop_fd = -1;
}
