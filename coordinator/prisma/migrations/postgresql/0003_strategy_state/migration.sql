-- CreateTable
CREATE TABLE "StrategyState" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "stateJson" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StrategyState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StrategyState_modelVersionId_key" ON "StrategyState"("modelVersionId");

-- CreateIndex
CREATE INDEX "StrategyState_taskId_idx" ON "StrategyState"("taskId");
