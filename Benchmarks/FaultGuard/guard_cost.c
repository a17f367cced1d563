// What the fault guard costs per LMDB call: mdb_get and mdb_cursor_get
// against tkv_get and tkv_cursor_get on one 100,000-key table, in this
// thread's CPU time (the wall clock is too noisy on a shared machine).
// From the package root:
//   cc -O2 -ISources/LMDBFaultGuard/include Benchmarks/FaultGuard/guard_cost.c -llmdb -lpthread -o /tmp/guard_cost
//   /tmp/guard_cost /tmp/guard_cost.db
#include "../../Sources/LMDBFaultGuard/FaultGuard.c"
#include <time.h>
#include <stdlib.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc, char **argv){
  const char *path = argc > 1 ? argv[1] : "/tmp/guard_cost.db";
  char lock[4096]; snprintf(lock, sizeof lock, "%s-lock", path);
  MDB_env*env; mdb_env_create(&env); mdb_env_set_mapsize(env,64<<20); unlink(path); unlink(lock);
  if(mdb_env_open(env,path,MDB_NOSUBDIR|MDB_NOTLS,0600)){puts("open");return 1;}
  tkv_guard_install(env); tkv_map map; printf("locate %d\n", tkv_map_locate(env,&map));
  MDB_txn*t; MDB_dbi d; mdb_txn_begin(env,0,0,&t); mdb_dbi_open(t,0,0,&d);
  for(unsigned i=0;i<100000;i++){unsigned k=__builtin_bswap32(i); char v[100]={0}; MDB_val K={4,&k},V={100,v}; mdb_put(t,d,&K,&V,0);} mdb_txn_commit(t);
  mdb_txn_begin(env,0,MDB_RDONLY,&t); tkv_map_set_extent(env,&map);
  for(int round=0;round<5;round++){
    for(int g=0;g<2;g++){ double s=now(); long n=0; unsigned x=1;
      for(int i=0;i<3000000;i++){ x=x*1103515245+12345; unsigned k=__builtin_bswap32(x%100000); MDB_val K={4,&k},V; int rc= g? tkv_get(t,d,&K,&V,&map) : mdb_get(t,d,&K,&V); n+= rc==0; }
      printf("%s: %.1f ns/get (%ld found)\n", g?"tkv_get":"mdb_get", (now()-s)/3e6*1e9, n); }
    MDB_cursor*c; mdb_cursor_open(t,d,&c);
    for(int g=0;g<2;g++){ double s=now(); long n=0; for(int r=0;r<30;r++){ MDB_val K,V; int rc = g? tkv_cursor_get(c,&K,&V,MDB_FIRST,&map): mdb_cursor_get(c,&K,&V,MDB_FIRST); while(rc==0){n++; rc = g? tkv_cursor_get(c,&K,&V,MDB_NEXT,&map): mdb_cursor_get(c,&K,&V,MDB_NEXT);} }
      printf("%s: %.1f ns/step\n", g?"tkv_cursor_get":"mdb_cursor_get", (now()-s)/n*1e9); }
    mdb_cursor_close(c);
  }
  return 0;
}
